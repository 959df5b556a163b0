#include "sockjs/binding.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

namespace aicc::sockjs {
namespace {

const std::string kSecret = "0123456789abcdef0123456789abcdef";
const auto kStart = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);

std::chrono::steady_clock::time_point at(int ms) { return kStart + std::chrono::milliseconds(ms); }

TEST(BindingTest, AllowsTheOpeningAddressWithoutCookie) {
  Binding binding("10.0.0.1", kSecret);
  EXPECT_EQ(binding.check("10.0.0.1", "", at(0)), BindingVerdict::kAllowed);
  EXPECT_EQ(binding.check("10.0.0.1", "other=1", at(0)), BindingVerdict::kAllowed);
  EXPECT_FALSE(binding.cookie_required(at(10000)));
}

TEST(BindingTest, RefusesAnotherAddressEvenWithTheCookie) {
  Binding binding("10.0.0.1", kSecret);
  EXPECT_EQ(binding.check("10.0.0.2", "aicc_sockjs=" + kSecret, at(0)),
            BindingVerdict::kWrongAddress);
  EXPECT_EQ(binding.check("10.0.0.2", "", at(0)), BindingVerdict::kWrongAddress);
}

TEST(BindingTest, RefusesAWrongCookie) {
  Binding binding("10.0.0.1", kSecret);
  EXPECT_EQ(binding.check("10.0.0.1", "aicc_sockjs=guess", at(0)), BindingVerdict::kWrongCookie);
  EXPECT_EQ(binding.check("10.0.0.1", "aicc_sockjs=", at(0)), BindingVerdict::kWrongCookie);
  EXPECT_EQ(binding.check("10.0.0.1", "aicc_sockjs=" + kSecret + "0", at(0)),
            BindingVerdict::kWrongCookie);
}

TEST(BindingTest, TheCookieOnceShownIsRequiredAfterTheGrace) {
  Binding binding("10.0.0.1", kSecret);
  EXPECT_EQ(binding.check("10.0.0.1", "a=b; aicc_sockjs=" + kSecret + "; c=d", at(0)),
            BindingVerdict::kAllowed);
  // A request the browser sent before it had stored the cookie may still come.
  EXPECT_FALSE(binding.cookie_required(at(2999)));
  EXPECT_EQ(binding.check("10.0.0.1", "", at(2999)), BindingVerdict::kAllowed);
  EXPECT_TRUE(binding.cookie_required(at(3000)));
  EXPECT_EQ(binding.check("10.0.0.1", "", at(3000)), BindingVerdict::kMissingCookie);
  EXPECT_EQ(binding.check("10.0.0.1", "aicc_sockjs=\"" + kSecret + "\"", at(4000)),
            BindingVerdict::kAllowed);
}

TEST(BindingTest, TheGraceStartsWhenTheCookieIsFirstShown) {
  Binding binding("10.0.0.1", kSecret);
  EXPECT_EQ(binding.check("10.0.0.1", "", at(0)), BindingVerdict::kAllowed);
  EXPECT_EQ(binding.check("10.0.0.1", "", at(60000)), BindingVerdict::kAllowed);
  EXPECT_EQ(binding.check("10.0.0.1", "aicc_sockjs=" + kSecret, at(61000)),
            BindingVerdict::kAllowed);
  EXPECT_EQ(binding.check("10.0.0.1", "aicc_sockjs=" + kSecret, at(62000)),
            BindingVerdict::kAllowed);
  EXPECT_EQ(binding.check("10.0.0.1", "", at(63999)), BindingVerdict::kAllowed);
  EXPECT_EQ(binding.check("10.0.0.1", "", at(64000)), BindingVerdict::kMissingCookie);
}

TEST(BindingTest, OneMatchingValueAmongStaleOnesIsEnough) {
  Binding binding("::1", kSecret);
  EXPECT_EQ(binding.check("::1", "aicc_sockjs=stale;aicc_sockjs=" + kSecret, at(0)),
            BindingVerdict::kAllowed);
}

TEST(BindingTest, EveryRefusalSaysWhy) {
  for (auto verdict : {BindingVerdict::kWrongAddress, BindingVerdict::kWrongCookie,
                       BindingVerdict::kMissingCookie}) {
    EXPECT_NE(describe(verdict).find("belongs to another client"), std::string_view::npos)
        << static_cast<int>(verdict);
  }
}

TEST(BindingTest, SetCookieIsScopedToTheSessionPath) {
  const auto cookie = binding_set_cookie("/ws-chat/000/abc-DEF_1", kSecret, false);
  ASSERT_TRUE(cookie);
  EXPECT_EQ(*cookie, "aicc_sockjs=" + kSecret + "; Path=/ws-chat/000/abc-DEF_1; HttpOnly; " +
                         "SameSite=Strict");
  const auto secure = binding_set_cookie("/ws-chat/000/abc", kSecret, true);
  ASSERT_TRUE(secure);
  EXPECT_TRUE(secure->ends_with("; Secure"));
}

TEST(BindingTest, NoCookieForAPathACookieCannotName) {
  EXPECT_FALSE(binding_set_cookie("/ws-chat/000/a;b", kSecret, false));
  EXPECT_FALSE(binding_set_cookie("/ws-chat/000/a b", kSecret, false));
  EXPECT_FALSE(binding_set_cookie("/ws-chat/000/a,b", kSecret, false));
  EXPECT_FALSE(binding_set_cookie("relative", kSecret, false));
}

TEST(BindingTest, ForEachCookieFindsEveryValueOfTheName) {
  std::vector<std::string> seen;
  for_each_cookie(" x=1; aicc_sockjs=a ;aicc_sockjsx=b; aicc_sockjs=c", "aicc_sockjs",
                  [&](std::string_view v) { seen.emplace_back(v); });
  EXPECT_EQ(seen, (std::vector<std::string>{"a", "c"}));
}

}  // namespace
}  // namespace aicc::sockjs
