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
