#include "sockjs/framing.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <optional>

#include "util/url_decode.hpp"

namespace aicc::sockjs {
namespace json = boost::json;

namespace {

constexpr char kHexDigits[] = "0123456789abcdef";

// One decoded code point and how many input bytes it took.
struct Decoded {
  char32_t code_point;
  std::size_t length;
};

// Decodes the UTF-8 sequence at text[pos]. An invalid sequence gives U+FFFD for its maximal
// subpart (the longest prefix that could still have become valid), as WHATWG decoders and
// Node.js do, so "\xE2\x82" followed by 'A' gives one U+FFFD and then 'A'.
Decoded decode_utf8(std::string_view text, std::size_t pos) {
  const auto lead = static_cast<unsigned char>(text[pos]);
  if (lead < 0x80) return {lead, 1};
  int needed = 0;
  char32_t code_point = 0;
  unsigned char low = 0x80;  // allowed range of the second byte (Unicode table 3-7)
  unsigned char high = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    needed = 1, code_point = lead & 0x1F;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    needed = 2, code_point = lead & 0x0F;
    if (lead == 0xE0) low = 0xA0;   // no overlongs
    if (lead == 0xED) high = 0x9F;  // no surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    needed = 3, code_point = lead & 0x07;
    if (lead == 0xF0) low = 0x90;   // no overlongs
    if (lead == 0xF4) high = 0x8F;  // nothing past U+10FFFF
  } else {
    return {0xFFFD, 1};
  }
  std::size_t length = 1;
  for (int i = 0; i < needed; ++i) {
    if (pos + length >= text.size()) return {0xFFFD, length};
    const auto byte = static_cast<unsigned char>(text[pos + length]);
    if (byte < low || byte > high) return {0xFFFD, length};
    low = 0x80, high = 0xBF;
    code_point = (code_point << 6) | (byte & 0x3F);
    ++length;
  }
  return {code_point, length};
}

void append_u_escape(std::string& out, unsigned unit) {
  const char escape[6] = {'\\',
                          'u',
                          kHexDigits[(unit >> 12) & 0xF],
                          kHexDigits[(unit >> 8) & 0xF],
                          kHexDigits[(unit >> 4) & 0xF],
                          kHexDigits[unit & 0xF]};
  out.append(escape, sizeof escape);
}

// The characters sockjs-node (utils.js `escapable`) and Spring (SockJsMessageCodec) escape on top
// of JSON, below U+10000: some browsers drop or rewrite them in XHR and WebSocket payloads.
bool is_sockjs_special(char32_t c) {
  return (c >= 0x200C && c <= 0x200F) || (c >= 0x2028 && c <= 0x202F) ||
         (c >= 0x2060 && c <= 0x206F) || (c >= 0xFFF0 && c <= 0xFFFF);
}

// The two-character escapes JSON.stringify() writes; nullptr for any other character.
const char* short_escape(char32_t c) {
  switch (c) {
    case '"':
      return "\\\"";
    case '\\':
      return "\\\\";
    case '\b':
      return "\\b";
    case '\f':
      return "\\f";
    case '\n':
      return "\\n";
    case '\r':
      return "\\r";
    case '\t':
      return "\\t";
    default:
      return nullptr;
  }
}

// JSON.stringify() followed by the SockJS escapes; with `html_safe`, also '<', '>' and '&'.
void append_quoted_impl(std::string& out, std::string_view text, bool html_safe) {
  out.reserve(out.size() + text.size() + 2);
  out += '"';
  std::size_t pos = 0;
  while (pos < text.size()) {
    const Decoded d = decode_utf8(text, pos);
    const char32_t c = d.code_point;
    if (const char* escape = short_escape(c)) {
      out += escape;
    } else if (c < 0x20 || (html_safe && (c == '<' || c == '>' || c == '&'))) {
      append_u_escape(out, c);
    } else if (c >= 0x10000) {
      // Written as a UTF-16 surrogate pair, as sockjs-node's per-code-unit escaping does.
      const char32_t offset = c - 0x10000;
      append_u_escape(out, 0xD800 + (offset >> 10));
      append_u_escape(out, 0xDC00 + (offset & 0x3FF));
    } else if (is_sockjs_special(c)) {  // U+FFFD for invalid input lands here too
      append_u_escape(out, c);
    } else {
      out.append(text.substr(pos, d.length));
    }
    pos += d.length;
  }
  out += '"';
}

void append_html_escaped(std::string& out, std::string_view text) {
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
}

// The value of the four hex digits at text[pos], if there are four.
std::optional<unsigned> parse_hex4(std::string_view text, std::size_t pos) {
  if (pos + 4 > text.size()) return std::nullopt;
  unsigned value = 0;
  for (std::size_t i = pos; i < pos + 4; ++i) {
    const int digit = util::hex_digit_value(text[i]);
    if (digit < 0) return std::nullopt;
    value = value * 16 + static_cast<unsigned>(digit);
  }
  return value;
}

bool is_high_surrogate(unsigned unit) { return unit >= 0xD800 && unit <= 0xDBFF; }
bool is_low_surrogate(unsigned unit) { return unit >= 0xDC00 && unit <= 0xDFFF; }

// JavaScript strings may hold unpaired surrogates, which JSON.stringify() writes as "\ud800".
// Boost.JSON 1.81 rejects them, so the JSON text is rewritten with each unpaired surrogate
// escape replaced by "\ufffd"; everything else is copied unchanged.
std::string replace_lone_surrogates(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool in_string = false;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const char c = text[pos];
    if (c == '"') {
      in_string = !in_string;
    } else if (in_string && c == '\\') {
      if (pos + 1 < text.size() && text[pos + 1] == 'u') {
        const auto unit = parse_hex4(text, pos + 2);
        if (unit && is_high_surrogate(*unit)) {
          const bool paired =
              pos + 7 < text.size() && text[pos + 6] == '\\' && text[pos + 7] == 'u' && [&] {
                const auto next = parse_hex4(text, pos + 8);
                return next && is_low_surrogate(*next);
              }();
          if (paired) {
            out.append(text.substr(pos, 12));
            pos += 12;
          } else {
            out += "\\ufffd";
            pos += 6;
          }
          continue;
        }
        if (unit && is_low_surrogate(*unit)) {
          out += "\\ufffd";
          pos += 6;
          continue;
        }
      }
      // Any other escape: copy the backslash and the escaped character, so that an escaped
      // quote does not end the string.
      out.append(text.substr(pos, 2));
      pos += 2;
      continue;
    }
    out += c;
    ++pos;
  }
  return out;
}

}  // namespace

std::string open_frame() { return "o"; }

std::string heartbeat_frame() { return "h"; }

std::string close_frame(int code, std::string_view reason) {
  std::string out = "c[" + std::to_string(code) + ",";
  append_quoted(out, reason);
  out += ']';
  return out;
}

void append_message_frame(std::string& out, std::span<const std::string> messages) {
  out += "a[";
  bool first = true;
  for (const std::string& message : messages) {
    if (!first) out += ',';
    first = false;
    append_quoted(out, message);
  }
  out += ']';
}

std::string message_frame(std::span<const std::string> messages) {
  std::string out;
  append_message_frame(out, messages);
  return out;
}

void append_quoted(std::string& out, std::string_view text) {
  append_quoted_impl(out, text, /*html_safe=*/false);
}

std::string wrap_xhr(std::string_view frame) {
  std::string out;
  out.reserve(frame.size() + 1);
  out.append(frame);
  out += '\n';
  return out;
}

std::string wrap_eventsource(std::string_view frame) {
  std::string out;
  out.reserve(frame.size() + 10);
  out += "data: ";
  out.append(frame);
  out += "\r\n\r\n";
  return out;
}

std::string wrap_htmlfile(std::string_view frame) {
  std::string out = "<script>\np(";
  append_quoted_impl(out, frame, /*html_safe=*/true);
  out += ");\n</script>\r\n";
  return out;
}

std::string wrap_jsonp(std::string_view callback, std::string_view frame) {
  std::string out = "/**/";
  out.append(callback);
  out += '(';
  append_quoted_impl(out, frame, /*html_safe=*/false);
  out += ");\r\n";
  return out;
}

std::string xhr_streaming_prelude() {
  std::string out(2048, 'h');
  out += '\n';
  return out;
}

std::string eventsource_prelude() { return "\r\n"; }

std::string htmlfile_prelude(std::string_view callback) {
  // Browsers refuse to touch the parent frame unless both set document.domain.
  std::string out =
      "<!doctype html>\n"
      "<html><head>\n"
      "  <meta http-equiv=\"X-UA-Compatible\" content=\"IE=edge\" />\n"
      "  <meta http-equiv=\"Content-Type\" content=\"text/html; charset=UTF-8\" />\n"
      "</head><body><h2>Don't panic!</h2>\n"
      "  <script>\n"
      "    document.domain = document.domain;\n"
      "    var c = parent.";
  out.append(callback);
  out +=
      ";\n"
      "    c.start();\n"
      "    function p(d) {c.message(d);};\n"
      "    window.onload = function() {c.stop();};\n"
      "  </script>\n";
  constexpr std::size_t kMinimumBytes = 1024;
  if (out.size() < kMinimumBytes) out.append(kMinimumBytes - out.size(), ' ');
  out += "\r\n\r\n";
  return out;
}

std::string iframe_page(std::string_view sockjs_client_url) {
  // The page of the protocol suite (IframePage.iframe_body): sockjs-client loads first, then the
  // inline script starts the iframe side, which talks to the parent page through postMessage.
  std::string out =
      "<!DOCTYPE html>\n"
      "<html>\n"
      "<head>\n"
      "  <meta http-equiv=\"X-UA-Compatible\" content=\"IE=edge\" />\n"
      "  <meta http-equiv=\"Content-Type\" content=\"text/html; charset=UTF-8\" />\n"
      "  <script src=\"";
  append_html_escaped(out, sockjs_client_url);
  out +=
      "\"></script>\n"
      "  <script>\n"
      "    document.domain = document.domain;\n"
      "    SockJS.bootstrap_iframe();\n"
      "  </script>\n"
      "</head>\n"
      "<body>\n"
      "  <h2>Don't panic!</h2>\n"
      "  <p>This is a SockJS hidden iframe. It's used for cross domain magic.</p>\n"
      "</body>\n"
      "</html>";
  return out;
}

std::string etag_for(std::string_view body) {
  std::uint64_t hash = 14695981039346656037ull;  // FNV-1a 64-bit offset basis
  for (const char c : body) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ull;  // FNV-1a 64-bit prime
  }
  std::string out = "\"";
  for (int shift = 60; shift >= 0; shift -= 4) out += kHexDigits[(hash >> shift) & 0xF];
  out += '"';
  return out;
}

std::string info_json(bool websocket, bool cookie_needed, std::span<const std::string> origins,
                      std::uint32_t entropy) {
  std::string out = "{\"websocket\":";
  out += websocket ? "true" : "false";
  out += ",\"cookie_needed\":";
  out += cookie_needed ? "true" : "false";
  out += ",\"origins\":[";
  bool first = true;
  for (const std::string& origin : origins) {
    if (!first) out += ',';
    first = false;
    append_quoted(out, origin);
  }
  out += "],\"entropy\":";
  out += std::to_string(entropy);
  out += '}';
  return out;
}

bool is_valid_callback(std::string_view callback) {
  if (callback.empty() || callback.size() > 64) return false;
  return std::all_of(callback.begin(), callback.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.';
  });
}

bool is_valid_path_component(std::string_view component) {
  if (component.empty() || component.size() > 64) return false;
  return std::none_of(component.begin(), component.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return c == '.' || c == '/' || byte < 0x20 || byte == 0x7F;
  });
}

std::string_view describe(ParseError error) {
  switch (error) {
    case ParseError::kEmpty:
      return "Payload expected.";
    case ParseError::kBrokenJson:
      return "Broken JSON encoding.";
    case ParseError::kTooLarge:
      return "Payload too large.";
  }
  return "Bad payload.";
}

util::Result<std::vector<std::string>, ParseError> parse_client_messages(std::string_view body,
                                                                         std::size_t max_bytes) {
  if (body.size() > max_bytes) return util::unexpected(ParseError::kTooLarge);
  if (body.empty()) return util::unexpected(ParseError::kEmpty);

  // An array of strings is one level deep; anything deeper is refused while parsing, before it
  // costs memory or stack.
  json::parse_options options;
  options.max_depth = 1;
  json::monotonic_resource memory;
  json::error_code ec;
  json::value value =
      json::parse(json::string_view(body.data(), body.size()), ec, &memory, options);
  if (ec) {
    // Boost.JSON reports an unpaired surrogate as one of several errors, depending on what
    // follows it; retry only when repairing them changes the text.
    const std::string repaired = replace_lone_surrogates(body);
    if (repaired != body) {
      ec.clear();
      value =
          json::parse(json::string_view(repaired.data(), repaired.size()), ec, &memory, options);
    }
  }
  if (ec) return util::unexpected(ParseError::kBrokenJson);

  std::vector<std::string> messages;
  if (const json::string* text = value.if_string()) {
    messages.emplace_back(text->data(), text->size());
    return messages;
  }
  const json::array* array = value.if_array();
  if (array == nullptr) return util::unexpected(ParseError::kEmpty);
  messages.reserve(array->size());
  for (const json::value& element : *array) {
    const json::string* text = element.if_string();
    if (text == nullptr) return util::unexpected(ParseError::kBrokenJson);
    messages.emplace_back(text->data(), text->size());
  }
  return messages;
}

std::string parse_form_payload(std::string_view form_body) {
  while (!form_body.empty()) {
    const std::size_t end = std::min(form_body.find('&'), form_body.size());
    const std::string_view field = form_body.substr(0, end);
    form_body.remove_prefix(std::min(end + 1, form_body.size()));
    const std::size_t equals = field.find('=');
    if (field.substr(0, equals) == "d") {
      return equals == std::string_view::npos ? std::string()
                                              : util::url_decode(field.substr(equals + 1));
    }
  }
  return {};
}

}  // namespace aicc::sockjs
