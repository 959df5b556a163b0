#include "stomp/encoder.hpp"

#include <charconv>

namespace aicc::stomp {
namespace {

// The spec leaves CONNECT and CONNECTED unescaped for 1.0 compatibility; STOMP is CONNECT's 1.2
// spelling. The decoder makes the same exception, so encoding then decoding gives the frame back.
bool escapes_headers(Command command) {
  return command != Command::kConnect && command != Command::kStomp &&
         command != Command::kConnected;
}

void append_length(std::string& out, std::size_t length) {
  char digits[24];
  const auto result = std::to_chars(digits, digits + sizeof(digits), length);
  out.append(digits, result.ptr);
}

}  // namespace

void append_escaped(std::string& out, std::string_view text, Version version) {
  if (version == Version::k10) {
    out.append(text);
    return;
  }
  // 1.1 has no escape for CR: it is written as is (and a CR ending a value reads back as part of
  // a CRLF).
  const std::string_view specials = version == Version::k12 ? "\\\n\r:" : "\\\n:";
  std::size_t from = 0;
  for (;;) {
    const std::size_t at = text.find_first_of(specials, from);
    if (at == std::string_view::npos) {
      out.append(text.substr(from));
      return;
    }
    out.append(text.substr(from, at - from));
    switch (text[at]) {
      case '\\':
        out.append("\\\\");
        break;
      case '\n':
        out.append("\\n");
        break;
      case '\r':
        out.append("\\r");
        break;
      default:  // ':'
        out.append("\\c");
        break;
    }
    from = at + 1;
  }
}

bool is_escape_free(std::string_view text) {
  return text.find_first_of("\\\n\r:") == std::string_view::npos;
}

void encode(std::string& out, const Frame& frame, Version version) {
  const Version escaping = escapes_headers(frame.command) ? version : Version::k10;
  const std::string_view command = to_string(frame.command);

  std::size_t size = command.size() + 1 + 1 + frame.body.size() + 1;
  for (const Header& header : frame.headers) size += header.name.size() + header.value.size() + 2;
  const bool add_length = !frame.body.empty() && frame.find("content-length") == nullptr;
  if (add_length) size += sizeof("content-length:") + 20;
  out.reserve(out.size() + size);

  out.append(command);
  out.push_back('\n');
  for (const Header& header : frame.headers) {
    append_escaped(out, header.name, escaping);
    out.push_back(':');
    append_escaped(out, header.value, escaping);
    out.push_back('\n');
  }
  if (add_length) {
    out.append("content-length:");
    append_length(out, frame.body.size());
    out.push_back('\n');
  }
  out.push_back('\n');
  out.append(frame.body);
  out.push_back('\0');
}

std::string encode(const Frame& frame, Version version) {
  std::string out;
  encode(out, frame, version);
  return out;
}

}  // namespace aicc::stomp
