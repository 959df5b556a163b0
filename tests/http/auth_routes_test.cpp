#include <gtest/gtest.h>

#include "http/auth_routes.hpp"
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

}  // namespace aicc::http
