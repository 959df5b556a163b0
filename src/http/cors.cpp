#include "http/cors.hpp"

#include <array>
#include <cstddef>

namespace aicc::http {
namespace {

// An Origin longer than this is no browser's: refused before anything compares it.
constexpr std::size_t kMaxOriginBytes = 256;
// Access-Control-Request-Headers longer than this is refused unread.
constexpr std::size_t kMaxRequestedHeadersBytes = 512;

constexpr std::array<std::string_view, 6> kCorsPaths = {"/api/auth/login",     "/api/auth/guest",
                                                        "/api/auth/refresh",   "/api/auth/logout",
                                                        "/api/auth/ws-ticket", "/api/bot/message"};

std::string ascii_lowercase(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string_view without_blanks(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

bool is_hostname_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

bool is_ipv6_literal_char(char c) {
  return (c >= 'a' && c <= 'f') || (c >= '0' && c <= '9') || c == ':' || c == '.';
}

// scheme://host[:port] exactly as a browser serialises an origin: http or https, a lower-case
// host name or [IPv6] literal, a port of 1 to 65535 without leading zeros, nothing after it.
bool is_serialized_origin(std::string_view origin) {
  std::string_view rest;
  if (origin.starts_with("https://")) {
    rest = origin.substr(8);
  } else if (origin.starts_with("http://")) {
    rest = origin.substr(7);
  } else {
    return false;
  }
  std::size_t host_end = 0;
  if (rest.starts_with('[')) {
    host_end = rest.find(']');
    if (host_end == std::string_view::npos || host_end < 3) return false;
    for (char c : rest.substr(1, host_end - 1)) {
      if (!is_ipv6_literal_char(c)) return false;
    }
    ++host_end;
  } else {
    while (host_end < rest.size() && is_hostname_char(rest[host_end])) ++host_end;
    if (host_end == 0 || rest.front() == '.' || rest.front() == '-') return false;
  }
  const std::string_view port = rest.substr(host_end);
  if (port.empty()) return true;
  if (port.size() < 2 || port.size() > 6 || port[0] != ':' || port[1] == '0') return false;
  unsigned value = 0;
  for (char c : port.substr(1)) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  return value <= 65535;
}

// The authority (host[:port]) of an http(s) origin, lower-cased; empty for anything else.
std::string origin_authority(std::string_view origin) {
  const std::string lowered = ascii_lowercase(origin);
  for (std::string_view scheme : {std::string_view("http://"), std::string_view("https://")}) {
    if (lowered.starts_with(scheme)) return lowered.substr(scheme.size());
  }
  return {};
}

std::string quoted(std::string_view text) {
  return "\"" + std::string(text.substr(0, 200)) + (text.size() > 200 ? "…\"" : "\"");
}

CorsDecision cors_refusal(std::string code, std::string reason) {
  return {CorsDecision::Kind::kRefused, {}, std::move(code), std::move(reason)};
}

// Why Access-Control-Request-Headers may not be granted; empty when every header it names is
// Authorization or Content-Type (in any case, as header names are).
std::string requested_headers_problem(std::string_view requested) {
  if (requested.size() > kMaxRequestedHeadersBytes) {
    return "Access-Control-Request-Headers is longer than " +
           std::to_string(kMaxRequestedHeadersBytes) + " bytes";
  }
  while (!requested.empty()) {
    const std::size_t comma = requested.find(',');
    const std::string name = ascii_lowercase(without_blanks(requested.substr(0, comma)));
    if (!name.empty() && name != "authorization" && name != "content-type") {
      return "the request header " + quoted(name) +
             " is not allowed cross-origin (only Authorization and Content-Type are)";
    }
    if (comma == std::string_view::npos) break;
    requested.remove_prefix(comma + 1);
  }
  return {};
}

}  // namespace

bool is_cors_path(std::string_view path) {
  for (std::string_view candidate : kCorsPaths) {
    if (path == candidate) return true;
  }
  return false;
}

CorsDecision decide_cors(std::span<const std::string_view> origins, std::string_view host,
                         std::string_view path, const std::vector<std::string>& allowed) {
  if (origins.empty()) return {};
  if (origins.size() > 1) {
    return cors_refusal("forbidden_origin", "a request may carry one Origin header, this one has " +
                                                std::to_string(origins.size()));
  }
  const std::string_view origin = origins.front();
  if (origin.empty()) return cors_refusal("forbidden_origin", "the Origin header is empty");
  if (origin.size() > kMaxOriginBytes) {
    return cors_refusal("forbidden_origin", "the Origin header is longer than " +
                                                std::to_string(kMaxOriginBytes) + " bytes");
  }
  // The server's own pages: a same-origin request, which needs no CORS.
  if (const std::string authority = origin_authority(origin);
      !authority.empty() && !host.empty() && authority == ascii_lowercase(host)) {
    return {};
  }
  if (origin == "null") {
    return cors_refusal(
        "forbidden_origin",
        "the opaque origin \"null\" (a sandboxed frame, a file: page, a redirect) is "
        "never allowed cross-origin");
  }
  if (!is_serialized_origin(origin)) {
    return cors_refusal("forbidden_origin",
                        "Origin " + quoted(origin) +
                            " is not an origin as browsers send it (http or https://host[:port], "
                            "lower case, no path)");
  }
  bool listed = false;
  bool wildcard = false;
  for (const std::string& entry : allowed) {
    if (entry == "*") {
      wildcard = true;
    } else if (ascii_lowercase(entry) == origin) {
      listed = true;
    }
  }
  if (!listed) {
    return cors_refusal(
        "forbidden_origin",
        "Origin " + quoted(origin) + " is not in ws.allowed-origins" +
            (wildcard ? " (\"*\" opens WebSockets, never CORS: list the origin itself)" : ""));
  }
  if (!is_cors_path(path)) {
    return cors_refusal("cors_refused",
                        "cross-origin requests are answered only on /api/auth/login, "
                        "/guest, /refresh, /logout, /ws-ticket and /api/bot/message");
  }
  return {CorsDecision::Kind::kAllowed, std::string(origin), {}, {}};
}

CorsDecision decide_cors(const Request& request, const std::vector<std::string>& allowed) {
  // At most a few values are kept: more than one is refused whatever they say.
  std::array<std::string_view, 2> values{};
  std::size_t count = 0;
  for (auto [it, end] = request.equal_range(bhttp::field::origin); it != end; ++it) {
    if (count < values.size()) values[count] = it->value();
    ++count;
  }
  if (count > values.size()) {
    return cors_refusal("forbidden_origin", "a request may carry one Origin header, this one has " +
                                                std::to_string(count));
  }
  const std::string_view target = request.target();
  return decide_cors(std::span<const std::string_view>(values.data(), count),
                     request[bhttp::field::host], target.substr(0, target.find('?')), allowed);
}

void mark_cors_request(Request& request, const std::vector<std::string>& allowed) {
  request.erase(kCorsOriginField);
  // A preflight is answered by preflight_response(), which adds the CORS headers only to a grant.
  if (is_preflight(request)) return;
  const CorsDecision decision = decide_cors(request, allowed);
  if (decision.kind == CorsDecision::Kind::kAllowed) request.set(kCorsOriginField, decision.origin);
}

bool is_cross_origin_request(const Request& request) { return !request[kCorsOriginField].empty(); }

void add_cors_headers(Response& response, const Request& request) {
  const std::string_view origin = request[kCorsOriginField];
  if (origin.empty()) return;
  response.set(bhttp::field::access_control_allow_origin, origin);
  const std::string_view vary = response[bhttp::field::vary];
  response.set(bhttp::field::vary,
               vary.empty() ? std::string("Origin") : std::string(vary) + ", Origin");
  response.set(bhttp::field::access_control_expose_headers, "X-Request-Id, Retry-After");
}

bool is_preflight(const Request& request) {
  return request.method() == bhttp::verb::options &&
         request.find(bhttp::field::origin) != request.end() &&
         request.find(bhttp::field::access_control_request_method) != request.end();
}

Response preflight_response(const Request& request, const std::vector<std::string>& allowed) {
  const CorsDecision decision = decide_cors(request, allowed);
  if (decision.kind == CorsDecision::Kind::kNotCors) {
    return error_response(request, bhttp::status::forbidden, "cors_refused",
                          "a request from this server's own origin needs no preflight");
  }
  if (decision.kind == CorsDecision::Kind::kRefused) {
    return error_response(request, bhttp::status::forbidden, decision.code, decision.reason);
  }
  const std::string_view method = request[bhttp::field::access_control_request_method];
  if (method != "POST") {
    return error_response(request, bhttp::status::forbidden, "cors_refused",
                          "only POST is answered cross-origin, not " + quoted(method));
  }
  if (const std::string problem =
          requested_headers_problem(request[bhttp::field::access_control_request_headers]);
      !problem.empty()) {
    return error_response(request, bhttp::status::forbidden, "cors_refused", problem);
  }
  Response response{bhttp::status::no_content, request.version()};
  add_common_headers(response, request);
  // The request was not marked (preflights are answered here, not routed): name the origin now.
  response.set(bhttp::field::access_control_allow_origin, decision.origin);
  response.set(bhttp::field::access_control_allow_methods, "POST");
  response.set(bhttp::field::access_control_allow_headers, "Authorization, Content-Type");
  response.set(bhttp::field::access_control_max_age, "600");
  response.set(bhttp::field::vary, "Origin");
  response.keep_alive(request.keep_alive());
  response.prepare_payload();
  return response;
}

}  // namespace aicc::http
