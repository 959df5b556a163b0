// Hex digits and the %XX escapes of URLs: one decoder for every query value (SockJS callbacks,
// the history's search words) and the hex parsers that need a digit's value.
#pragma once

#include <string>
#include <string_view>

namespace aicc::util {

// The value of a hex digit of either case; -1 for any other character.
constexpr int hex_digit_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes the %XX escapes and '+' (a space) of a URL query or form value, as browsers encode
// them; a bad escape is kept as it is. The result is bytes: check them (UTF-8, length) as the
// value requires.
std::string url_decode(std::string_view text);

}  // namespace aicc::util
