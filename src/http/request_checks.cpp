#include "http/request_checks.hpp"

#include <algorithm>
#include <cctype>

#include "net/handshake_guard.hpp"

namespace aicc::http {
namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

bool is_json_media_type(std::string_view content_type) {
  return equals_ignoring_case(trim(content_type.substr(0, content_type.find(';'))),
                              "application/json");
}

std::optional<Response> refuse_non_json(const Request& request) {
  if (request.body().empty()) return std::nullopt;
  const std::string_view type = request[bhttp::field::content_type];
  if (is_json_media_type(type)) return std::nullopt;
  return error_response(
      request, bhttp::status::unsupported_media_type, "unsupported_media_type",
      type.empty() ? "the body needs Content-Type: application/json"
                   : "the body must be application/json, not " + std::string(type.substr(0, 100)));
}

std::string cross_site_reason(std::string_view origin, std::string_view sec_fetch_site,
                              std::string_view host,
                              const std::vector<std::string>& allowed_origins) {
  std::vector<std::string> exact;
  for (const std::string& entry : allowed_origins) {
    if (entry != "*") exact.push_back(entry);
  }
  const bool listed = !origin.empty() && !exact.empty() && net::origin_allowed(origin, host, exact);
  if (!origin.empty() && !listed) {
    // Our own origin; with no entries also localhost (what origin_allowed() allows for none).
    const std::string own_host(host);
    const bool own =
        net::origin_allowed(origin, host, {"http://" + own_host, "https://" + own_host});
    const bool development = exact.empty() && net::origin_allowed(origin, host, {});
    if (!own && !development) {
      return "Origin " + std::string(origin.substr(0, 200)) +
             " may not use the refresh cookie (not this site, nor in ws.allowed-origins)";
    }
  }
  if (equals_ignoring_case(trim(sec_fetch_site), "cross-site") && !listed) {
    return "a cross-site request (Sec-Fetch-Site: cross-site) may not use the refresh cookie";
  }
  return {};
}

std::optional<Response> refuse_cross_site(const Request& request,
                                          const std::vector<std::string>& allowed_origins) {
  const std::string reason =
      cross_site_reason(request[bhttp::field::origin], request["Sec-Fetch-Site"],
                        request[bhttp::field::host], allowed_origins);
  if (reason.empty()) return std::nullopt;
  return error_response(request, bhttp::status::forbidden, "forbidden_origin", reason);
}

}  // namespace aicc::http
