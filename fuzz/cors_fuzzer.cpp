// libFuzzer target for the CORS decision (http/cors.hpp): the Origin headers, Host and path a
// browser (or anybody) sends, against a fixed ws.allowed-origins.
//
// Input layout: the first byte is the configuration (bit 0: the list also holds "*"; bit 1: the
// list is empty), the rest is split at '\n': the path, the Host, then each Origin header value
// (none, one or several).
//
// Besides the sanitizers, it checks that
//   - an allowed request has exactly one Origin, byte for byte the one echoed, listed (any case)
//     and never "null", on one of the CORS paths, and not the server's own origin;
//   - a refusal has a code (forbidden_origin or cors_refused) and a reason, and echoes nothing;
//   - the same request gets the same decision, and mark_cors_request() agrees with it, whatever
//     the client put in the internal mark header;
//   - a preflight is granted (204 with the origin echoed) only when the decision allows and the
//     method and headers are the documented ones, and a refusal carries no CORS header.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.hpp"
#include "http/cors.hpp"

namespace {

namespace http = aicc::http;
namespace bhttp = boost::beast::http;

std::string lowercase(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// Header values as a request holds them: Beast trims spaces and tabs around a value it stores,
// as its parser does with those on the wire.
std::string_view stored_value(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// Longer lines are cut: Beast stores at most 64 KiB per field, and the decision bounds an Origin
// at 256 bytes long before that.
constexpr std::size_t kMaxLine = 4096;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t config = data[0];
  std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  std::vector<std::string_view> lines;
  while (lines.size() < 8) {
    const std::size_t newline = rest.find('\n');
    lines.push_back(rest.substr(0, std::min(newline, kMaxLine)));
    if (newline == std::string_view::npos) break;
    rest.remove_prefix(newline + 1);
  }
  const std::string_view path = lines[0];
  const std::string_view host = lines.size() > 1 ? stored_value(lines[1]) : std::string_view{};
  std::vector<std::string_view> origins;
  for (std::size_t i = 2; i < lines.size(); ++i) origins.push_back(stored_value(lines[i]));

  std::vector<std::string> allowed;
  if ((config & 2) == 0)
    allowed = {"https://pages.example", "http://127.0.0.1:9090", "HTTPS://Upper.Example"};
  if ((config & 1) != 0) allowed.emplace_back("*");

  const http::CorsDecision decision = http::decide_cors(origins, host, path, allowed);
  const http::CorsDecision again = http::decide_cors(origins, host, path, allowed);
  FUZZ_CHECK(decision.kind == again.kind && decision.origin == again.origin &&
             decision.reason == again.reason);

  using Kind = http::CorsDecision::Kind;
  if (decision.kind == Kind::kAllowed) {
    FUZZ_CHECK(origins.size() == 1);
    FUZZ_CHECK(decision.origin == origins[0]);
    FUZZ_CHECK(decision.origin != "null");
    FUZZ_CHECK(http::is_cors_path(path));
    FUZZ_CHECK(lowercase(decision.origin) == decision.origin);
    bool listed = false;
    for (const std::string& entry : allowed) listed = listed || lowercase(entry) == decision.origin;
    FUZZ_CHECK(listed);
    const std::string own = lowercase(host);
    FUZZ_CHECK(decision.origin != "http://" + own && decision.origin != "https://" + own);
  } else if (decision.kind == Kind::kRefused) {
    FUZZ_CHECK(decision.code == "forbidden_origin" || decision.code == "cors_refused");
    FUZZ_CHECK(!decision.reason.empty());
    FUZZ_CHECK(decision.origin.empty());
  } else {
    FUZZ_CHECK(origins.size() <= 1);
  }

  // The same through a request, with a forged mark the client sent.
  http::Request request(bhttp::verb::post, std::string(path), 11);
  request.set(bhttp::field::host, host);
  for (std::string_view origin : origins) request.insert(bhttp::field::origin, origin);
  request.set(http::kCorsOriginField, "https://forged.example");
  const std::size_t query = path.find('?');
  if (query == std::string_view::npos) {
    http::mark_cors_request(request, allowed);
    FUZZ_CHECK(http::is_cross_origin_request(request) == (decision.kind == Kind::kAllowed));
  }

  // As a preflight: granted only with the decision, never carrying CORS headers when refused.
  request.method(bhttp::verb::options);
  request.erase(http::kCorsOriginField);
  request.set(bhttp::field::access_control_request_method, (config & 4) != 0 ? "PUT" : "POST");
  if ((config & 8) != 0) request.set(bhttp::field::access_control_request_headers, "content-type");
  if (!origins.empty() && query == std::string_view::npos) {
    FUZZ_CHECK(http::is_preflight(request));
    const http::Response answer = http::preflight_response(request, allowed);
    if (answer.result() == bhttp::status::no_content) {
      FUZZ_CHECK(decision.kind == Kind::kAllowed && (config & 4) == 0);
      FUZZ_CHECK(answer[bhttp::field::access_control_allow_origin] == decision.origin);
    } else {
      FUZZ_CHECK(answer.result() == bhttp::status::forbidden);
      FUZZ_CHECK(answer.count(bhttp::field::access_control_allow_origin) == 0);
      FUZZ_CHECK(answer.body().find("\"message\"") != std::string::npos);
    }
  }
  return 0;
}
