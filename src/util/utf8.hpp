// UTF-8 validation (RFC 3629: no overlongs, no surrogates, nothing past U+10FFFF), decoding one
// code point at a time, and which code points are white space.
#pragma once

#include <cstddef>
#include <string_view>

namespace aicc::util {

bool is_valid_utf8(std::string_view text);

inline constexpr char32_t kReplacementCharacter = 0xFFFD;

// Decodes one code point at `pos` and advances it. An invalid or truncated sequence (overlong,
// surrogate, past U+10FFFF, stray continuation byte) consumes one byte and yields U+FFFD.
// `pos` must be below text.size().
char32_t next_code_point(std::string_view text, std::size_t& pos);

// Whitespace and the invisible separators people (and IMEs) put between or inside words:
// Unicode White_Space plus the zero-width characters and the BOM.
bool is_space(char32_t cp);

}  // namespace aicc::util
