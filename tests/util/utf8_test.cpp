#include "util/utf8.hpp"

#include <gtest/gtest.h>

namespace aicc::util {

TEST(Utf8, AcceptsAsciiKoreanAndEmoji) {
  EXPECT_TRUE(is_valid_utf8("hello"));
  EXPECT_TRUE(is_valid_utf8("\xEC\x95\x88\xEB\x85\x95"));  // 안녕
  EXPECT_TRUE(is_valid_utf8("\xF0\x9F\x98\x80"));          // U+1F600
}

TEST(Utf8, RejectsOverlongsSurrogatesAndTruncation) {
  EXPECT_FALSE(is_valid_utf8("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80"));      // U+D800
  EXPECT_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));  // past U+10FFFF
  EXPECT_FALSE(is_valid_utf8("\xEC\x95"));          // cut short
  EXPECT_FALSE(is_valid_utf8("\xFF"));
}

}  // namespace aicc::util

namespace aicc::util {

TEST(Utf8, DecodesOneCodePointAtATimeAndReplacesBadBytes) {
  const std::string text =
      "a\xED\x95\x9C\xF0\x9F\x98\x80\xC0\xAF\xE2\x82";  // a, 한, 😀, overlong, truncated
  std::size_t pos = 0;
  EXPECT_EQ(next_code_point(text, pos), U'a');
  EXPECT_EQ(next_code_point(text, pos), U'\uD55C');
  EXPECT_EQ(next_code_point(text, pos), U'\U0001F600');
  EXPECT_EQ(next_code_point(text, pos), kReplacementCharacter);  // each bad byte alone
  EXPECT_EQ(next_code_point(text, pos), kReplacementCharacter);
  EXPECT_EQ(next_code_point(text, pos), kReplacementCharacter);
  EXPECT_EQ(next_code_point(text, pos), kReplacementCharacter);
  EXPECT_EQ(pos, text.size());
}

TEST(Utf8, KnowsWhiteSpaceAndInvisibleSeparators) {
  for (char32_t cp : {U' ', U'\t', U'\n', U'\u00A0', U'\u3000', U'\u200B', U'\u2060', U'\uFEFF'}) {
    EXPECT_TRUE(is_space(cp)) << static_cast<unsigned>(cp);
  }
  for (char32_t cp : {U'a', U'\uD55C', U'_', U'/', U'\U0001F600'})
    EXPECT_FALSE(is_space(cp)) << static_cast<unsigned>(cp);
}

}  // namespace aicc::util
