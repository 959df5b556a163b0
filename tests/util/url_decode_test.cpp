#include "util/url_decode.hpp"

#include <gtest/gtest.h>

namespace aicc::util {
namespace {

TEST(UrlDecode, DecodesEscapesOfEitherCaseAndPlusAsSpace) {
  EXPECT_EQ(url_decode("%ED%99%98%EB%B6%88+%ea%b1%b4"), "환불 건");
  EXPECT_EQ(url_decode("a%2Bb%26c%3D"), "a+b&c=");
  EXPECT_EQ(url_decode(""), "");
}

TEST(UrlDecode, KeepsBadEscapesAsTheyAre) {
  EXPECT_EQ(url_decode("%"), "%");
  EXPECT_EQ(url_decode("%4"), "%4");
  EXPECT_EQ(url_decode("%zz%4g"), "%zz%4g");
  EXPECT_EQ(url_decode("100%"), "100%");
  // Decoding yields bytes: a NUL or invalid UTF-8 is the caller's to refuse.
  EXPECT_EQ(url_decode("%00%FF"), std::string("\0\xFF", 2));
}

TEST(HexDigitValue, KnowsBothCasesAndNothingElse) {
  EXPECT_EQ(hex_digit_value('0'), 0);
  EXPECT_EQ(hex_digit_value('f'), 15);
  EXPECT_EQ(hex_digit_value('F'), 15);
  EXPECT_EQ(hex_digit_value('g'), -1);
  EXPECT_EQ(hex_digit_value('/'), -1);
}

}  // namespace
}  // namespace aicc::util
