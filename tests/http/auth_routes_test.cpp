#include "http/auth_routes.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "http/router.hpp"

namespace aicc::http {

TEST(CookieValue, FindsTheNamedCookieAmongOthers) {
  EXPECT_EQ(cookie_value("aicc_refresh=abc", "aicc_refresh"), "abc");
  EXPECT_EQ(cookie_value("theme=dark; aicc_refresh=abc; lang=ko", "aicc_refresh"), "abc");
  EXPECT_EQ(cookie_value("theme=dark;aicc_refresh=\"abc\"", "aicc_refresh"), "abc");
  EXPECT_EQ(cookie_value("x_aicc_refresh=evil; aicc_refresh=good", "aicc_refresh"), "good");
}

TEST(CookieValue, AbsentOrMalformedGivesNothing) {
  EXPECT_EQ(cookie_value("", "aicc_refresh"), "");
  EXPECT_EQ(cookie_value("aicc_refresh", "aicc_refresh"), "");
  EXPECT_EQ(cookie_value(";;;", "aicc_refresh"), "");
  EXPECT_EQ(cookie_value("other=1", "aicc_refresh"), "");
}

TEST(QueryParam, ReadsRawValues) {
  EXPECT_EQ(query_param("/ws?ticket=abc", "ticket"), "abc");
  EXPECT_EQ(query_param("/ws?a=1&ticket=abc&b=2", "ticket"), "abc");
  EXPECT_EQ(query_param("/ws?xticket=abc", "ticket"), "");
  EXPECT_EQ(query_param("/ws", "ticket"), "");
  EXPECT_EQ(query_param("/ws?ticket", "ticket"), "");
}

boost::json::object object(std::string_view text) { return boost::json::parse(text).as_object(); }

TEST(RefreshTokenIn, AbsentOrNullMeansTheCookie) {
  EXPECT_EQ(refresh_token_in(object("{}")).value(), RefreshTokenIn::kCookie);
  EXPECT_EQ(refresh_token_in(object(R"({"refreshTokenIn":null})")).value(),
            RefreshTokenIn::kCookie);
  EXPECT_EQ(refresh_token_in(object(R"({"username":"a","password":"b"})")).value(),
            RefreshTokenIn::kCookie);
}

TEST(RefreshTokenIn, BodyMeansTheBody) {
  EXPECT_EQ(refresh_token_in(object(R"({"refreshTokenIn":"body"})")).value(),
            RefreshTokenIn::kBody);
}

TEST(RefreshTokenIn, AnyOtherValueIsRefused) {
  for (const char* text :
       {R"({"refreshTokenIn":"cookie"})", R"({"refreshTokenIn":"BODY"})",
        R"({"refreshTokenIn":"body "})", R"({"refreshTokenIn":"body\u0000"})",
        R"({"refreshTokenIn":""})", R"({"refreshTokenIn":true})", R"({"refreshTokenIn":1})",
        R"({"refreshTokenIn":["body"]})", R"({"refreshTokenIn":{"in":"body"}})"}) {
    auto where = refresh_token_in(object(text));
    ASSERT_FALSE(where) << text;
    EXPECT_NE(where.error().find("refreshTokenIn"), std::string::npos);
  }
  const std::string long_value = R"({"refreshTokenIn":")" + std::string(7000, 'b') + "\"}";
  EXPECT_FALSE(refresh_token_in(object(long_value)));
}

}  // namespace aicc::http
