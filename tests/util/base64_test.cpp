#include "util/base64.hpp"

#include <gtest/gtest.h>

namespace aicc::util {

TEST(Base64, EncodesRfc4648Vectors) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
}

TEST(Base64Url, RoundTripsAllByteValues) {
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes += char(i);
  const std::string encoded = base64url_encode(bytes);
  EXPECT_EQ(encoded.find_first_of("+/="), std::string::npos);
  EXPECT_EQ(base64url_decode(encoded), bytes);
}

TEST(Base64Url, RejectsForeignCharacters) {
  EXPECT_FALSE(base64url_decode("ab+c").has_value());
  EXPECT_FALSE(base64url_decode("a b").has_value());
  EXPECT_FALSE(base64url_decode("abcde").has_value());  // 4n+1 characters cannot be valid
}

}  // namespace aicc::util
