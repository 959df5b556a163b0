#include "auth/password.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

namespace aicc::auth {
namespace {

// Hashing costs tens of milliseconds, so the suite hashes once and shares the result.
class Password : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { hash_ = new std::string(hash_password("correct horse")); }
  static void TearDownTestSuite() {
    delete hash_;
    hash_ = nullptr;
  }
  static const std::string& hash() { return *hash_; }

 private:
  static inline std::string* hash_ = nullptr;
};

TEST_F(Password, VerifiesTheHashedPassword) {
  EXPECT_TRUE(verify_password("correct horse", hash()));
}

TEST_F(Password, RefusesAWrongPassword) {
  EXPECT_FALSE(verify_password("correct horse ", hash()));
  EXPECT_FALSE(verify_password("Correct horse", hash()));
  EXPECT_FALSE(verify_password("", hash()));
  EXPECT_FALSE(verify_password(std::string("correct horse\0", 14), hash()));
}

TEST_F(Password, HashIsArgon2idWithItsParameters) {
  EXPECT_EQ(hash().rfind("$argon2id$v=19$m=", 0), 0u) << hash();
  EXPECT_EQ(hash().find("correct horse"), std::string::npos);
}

TEST_F(Password, TwoHashesOfOnePasswordDifferBySalt) {
  const std::string other = hash_password("correct horse");
  EXPECT_NE(other, hash());
  EXPECT_TRUE(verify_password("correct horse", other));
}

TEST_F(Password, MalformedHashNeverMatches) {
  const std::string truncated = hash().substr(0, hash().size() - 4);
  const std::string with_junk = hash() + std::string("\0junk", 5);
  const std::string embedded_nul = hash().substr(0, 20) + std::string(1, '\0') + hash().substr(21);
  for (const std::string& bad :
       {std::string(), std::string("not a hash"), std::string("$argon2id$"), truncated, with_junk,
        embedded_nul, std::string(4096, '$'), hash() + hash()}) {
    EXPECT_FALSE(verify_password("correct horse", bad)) << bad;
  }
}

TEST_F(Password, RefusesOverlongPasswords) {
  const std::string longest(kMaxPasswordBytes, 'p');
  const std::string too_long(kMaxPasswordBytes + 1, 'p');
  EXPECT_THROW(hash_password(too_long), std::invalid_argument);
  const std::string hash_of_longest = hash_password(longest);
  EXPECT_TRUE(verify_password(longest, hash_of_longest));
  // A longer password is refused before any hashing, even when it starts with the right one.
  EXPECT_FALSE(verify_password(longest + "p", hash_of_longest));
}

TEST_F(Password, HashesEmptyAndBinaryPasswords) {
  const std::string binary("\0\xff\x01 pass", 8);
  const std::string binary_hash = hash_password(binary);
  EXPECT_TRUE(verify_password(binary, binary_hash));
  EXPECT_FALSE(verify_password(binary.substr(1), binary_hash));
  EXPECT_TRUE(verify_password("", hash_password("")));
}

TEST_F(Password, DummyVerificationAcceptsAnyInput) {
  EXPECT_NO_THROW(verify_password_dummy("whatever"));
  EXPECT_NO_THROW(verify_password_dummy(""));
}

}  // namespace
}  // namespace aicc::auth
