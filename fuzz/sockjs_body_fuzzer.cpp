// libFuzzer target for what SockJS clients send (sockjs/framing.hpp): xhr_send bodies and SockJS
// WebSocket messages (parse_client_messages), jsonp_send form bodies (parse_form_payload), and the
// framing the answers go back in.
//
// Input layout: the first byte picks the configuration, the rest is the body.
//   bit 0: the body is a jsonp_send form body (`d=...&...`) rather than an xhr_send JSON body
//   bit 1: tiny limit (64 bytes) instead of 64 KiB, to reach "too large"
// So a seed starting with '0' is an xhr_send body, '1' a jsonp_send form body.
//
// Besides the sanitizers, it checks that
//   - a body over the limit is refused as too large, and only such a body;
//   - every message parsed is valid UTF-8 and comes back unchanged from the `a[...]` frame the
//     server would send it in, and from append_quoted() alone;
//   - wrap_htmlfile() holds no '<' between its script tags and its JSON string reads back as the
//     frame; wrap_jsonp() reads back the same way after the callback;
//   - any bytes, %-encoded as a form field `d`, come back unchanged from parse_form_payload();
//   - the callback and path-component checks agree with their documented character sets.
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.hpp"
#include "sockjs/framing.hpp"
#include "util/utf8.hpp"

namespace {

namespace json = boost::json;
namespace sockjs = aicc::sockjs;

constexpr std::size_t kUnlimited = std::numeric_limits<std::size_t>::max();

// The JSON string literal at the start of `text` (up to the ')' that follows it), decoded.
std::string read_quoted(std::string_view text) {
  const std::size_t end = text.rfind(')');
  FUZZ_CHECK(end != std::string_view::npos);
  json::error_code ec;
  const json::value value = json::parse(text.substr(0, end), ec);
  FUZZ_CHECK(!ec && value.is_string());
  return std::string(value.as_string());
}

void check_messages(const std::vector<std::string>& messages) {
  for (const std::string& message : messages) {
    FUZZ_CHECK(aicc::util::is_valid_utf8(message));

    // One message quoted alone is a body of one message.
    std::string quoted;
    sockjs::append_quoted(quoted, message);
    auto single = sockjs::parse_client_messages(quoted, kUnlimited);
    FUZZ_CHECK(single.has_value() && single->size() == 1 && single->front() == message);
  }

  // The frame the server sends them in reads back as the same messages.
  const std::string frame = sockjs::message_frame(messages);
  FUZZ_CHECK(frame.starts_with("a["));
  auto back = sockjs::parse_client_messages(std::string_view(frame).substr(1), kUnlimited);
  FUZZ_CHECK(back.has_value() && *back == messages);

  // In an htmlfile script, nothing can close the element early.
  const std::string html = sockjs::wrap_htmlfile(frame);
  constexpr std::string_view kOpen = "<script>\np(";
  constexpr std::string_view kClose = ");\n</script>\r\n";
  FUZZ_CHECK(html.starts_with(kOpen) && html.ends_with(kClose));
  const std::string_view script =
      std::string_view(html).substr(kOpen.size(), html.size() - kOpen.size() - kClose.size());
  FUZZ_CHECK(script.find('<') == std::string_view::npos);
  FUZZ_CHECK(read_quoted(std::string_view(html).substr(kOpen.size())) == frame);

  const std::string jsonp = sockjs::wrap_jsonp("_jp.a1b2c3d", frame);
  constexpr std::string_view kCall = "/**/_jp.a1b2c3d(";
  FUZZ_CHECK(jsonp.starts_with(kCall) && jsonp.ends_with(");\r\n"));
  FUZZ_CHECK(read_quoted(std::string_view(jsonp).substr(kCall.size())) == frame);
}

void check_parse(std::string_view body, std::size_t max_bytes) {
  const auto parsed = sockjs::parse_client_messages(body, max_bytes);
  if (body.size() > max_bytes) {
    FUZZ_CHECK(!parsed.has_value() && parsed.error() == sockjs::ParseError::kTooLarge);
    return;
  }
  if (!parsed.has_value()) {
    FUZZ_CHECK(parsed.error() != sockjs::ParseError::kTooLarge);
    FUZZ_CHECK(!sockjs::describe(parsed.error()).empty());
    FUZZ_CHECK(!body.empty() || parsed.error() == sockjs::ParseError::kEmpty);
    return;
  }
  check_messages(*parsed);
}

std::string percent_encoded(std::string_view bytes, bool upper) {
  const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  std::string out;
  for (const char c : bytes) {
    const auto byte = static_cast<unsigned char>(c);
    out += '%';
    out += digits[byte >> 4];
    out += digits[byte & 15];
  }
  return out;
}

void check_validators(std::string_view text) {
  bool callback = !text.empty() && text.size() <= 64;
  bool component = callback;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    const bool word = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '_' || c == '.';
    callback = callback && word;
    component = component && c != '.' && c != '/' && byte >= 0x20 && byte != 0x7F;
  }
  FUZZ_CHECK(sockjs::is_valid_callback(text) == callback);
  FUZZ_CHECK(sockjs::is_valid_path_component(text) == component);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t config = data[0];
  const bool form = (config & 1) != 0;
  const std::size_t max_bytes = (config & 2) != 0 ? 64 : 64 * 1024;
  const std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);

  if (form) {
    check_parse(sockjs::parse_form_payload(input), max_bytes);
  } else {
    check_parse(input, max_bytes);
  }

  FUZZ_CHECK(sockjs::parse_form_payload("d=" + percent_encoded(input, true)) == input);
  FUZZ_CHECK(sockjs::parse_form_payload("x=1&d=" + percent_encoded(input, false) + "&d=2") ==
             input);
  check_validators(input);
  return 0;
}
