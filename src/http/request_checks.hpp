// Checks of a request's kind before a route reads it: JSON routes take only JSON bodies, and
// routes that authenticate with the refresh cookie take only requests from our own site.
//
// Together they close the doors a cross-site page could use: a form or a `text/plain` fetch (the
// "simple" requests a browser sends without asking the server first) is refused with 415, and a
// request that the browser says comes from another site (Origin, Sec-Fetch-Site) is refused with
// 403 before the cookie it carries is used.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/response.hpp"

namespace aicc::http {

// "application/json", with any parameters ("; charset=utf-8"), in any case.
bool is_json_media_type(std::string_view content_type);

// 415 `unsupported_media_type` when the request has a body whose Content-Type is not JSON (an
// empty body needs none).
std::optional<Response> refuse_non_json(const Request& request);

// Why a browser request is from another site and may not use our cookie; empty when it may.
// `origin` and `sec_fetch_site` are the request's headers (empty when absent), `host` its Host.
// Allowed: no Origin (not a browser's cross-origin request), our own origin (Host), an exact entry
// of `allowed_origins` ("*" does not count: it opens WebSockets, not the cookie), and, with no
// entries, the http(s) origins of localhost (development). Sec-Fetch-Site `cross-site` is refused
// unless the Origin is an exact entry.
std::string cross_site_reason(std::string_view origin, std::string_view sec_fetch_site,
                              std::string_view host,
                              const std::vector<std::string>& allowed_origins);

// cross_site_reason() as a 403 `forbidden_origin`.
std::optional<Response> refuse_cross_site(const Request& request,
                                          const std::vector<std::string>& allowed_origins);

}  // namespace aicc::http
