// CORS for pages served from another origin listed in ws.allowed-origins (a team's own pages, as
// the examples in examples/spring-style-pages/): they may call the sign-in routes and the bot's
// HTTP entry, and nothing else.
//
// Rules: the Origin must be exactly one entry of ws.allowed-origins ("*" never counts), in the
// form browsers send (lower case, no path, no trailing slash), and the request must carry one
// Origin header. The allowed origin is echoed, never "*", and credentials are never allowed: the
// refresh cookie is SameSite=Strict and stays with same-site pages; cross-origin pages get their
// refresh token in the response body instead (auth_routes: refreshTokenIn "body" by default).
//
// The decision is made once, as the request's header is read (mark_cors_request), and kept in an
// internal header of the request, so that every response built from it (http/response.cpp) carries
// Access-Control-Allow-Origin, Vary: Origin and Access-Control-Expose-Headers, like X-Request-Id.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "http/response.hpp"

namespace aicc::http {

// The internal request header holding the origin a response may name in
// Access-Control-Allow-Origin. A copy sent by a client is always removed first.
inline constexpr std::string_view kCorsOriginField = "X-Aicc-Cors-Origin";

// /api/auth/login, /guest, /refresh, /logout, /ws-ticket and /api/bot/message.
bool is_cors_path(std::string_view path);

struct CorsDecision {
  enum class Kind {
    kNotCors,  // no Origin, or the server's own (same-origin): nothing to add
    kAllowed,  // a cross-origin request this server answers: echo `origin`
    kRefused,  // a cross-origin request it does not: no CORS headers; `reason` says why
  };
  Kind kind = Kind::kNotCors;
  std::string origin;
  // kRefused: `forbidden_origin` (the origin itself) or `cors_refused` (the path), and why.
  std::string code;
  std::string reason;
};

// Pure. `origins`: every Origin header value of the request, in order (several are refused);
// `host`: its Host header; `path`: the target's path; `allowed`: ws.allowed-origins.
CorsDecision decide_cors(std::span<const std::string_view> origins, std::string_view host,
                         std::string_view path, const std::vector<std::string>& allowed);

// The decision for `request` (its Origin headers, Host and path).
CorsDecision decide_cors(const Request& request, const std::vector<std::string>& allowed);

// Removes any kCorsOriginField the client sent, then sets it when decide_cors() allows.
void mark_cors_request(Request& request, const std::vector<std::string>& allowed);

// True when mark_cors_request() found `request` to be an allowed cross-origin request.
bool is_cross_origin_request(const Request& request);

// Adds Access-Control-Allow-Origin, Vary: Origin and Access-Control-Expose-Headers to `response`
// when `request` was marked (http/response.cpp calls it for every response it builds).
void add_cors_headers(Response& response, const Request& request);

// Is this an OPTIONS preflight (OPTIONS with Origin and Access-Control-Request-Method)?
bool is_preflight(const Request& request);

// The answer to a preflight: 204 with the CORS headers when the origin, path, method (POST) and
// requested headers (Authorization, Content-Type) are allowed; else 403 `forbidden_origin` (the
// origin) or `cors_refused` (the path, method or headers) with the reason and no CORS header.
Response preflight_response(const Request& request, const std::vector<std::string>& allowed);

}  // namespace aicc::http
