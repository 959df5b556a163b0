#include "net/handshake_guard.hpp"

#include <gtest/gtest.h>

namespace aicc::net {

TEST(OriginAllowed, NonBrowserClientsHaveNoOrigin) {
  EXPECT_TRUE(origin_allowed("", "example.com", {}));
}

TEST(OriginAllowed, DefaultAcceptsSameOriginAndLocalhost) {
  EXPECT_TRUE(origin_allowed("https://chat.example.com", "chat.example.com", {}));
  EXPECT_TRUE(origin_allowed("http://localhost:3000", "chat.example.com", {}));
  EXPECT_TRUE(origin_allowed("http://127.0.0.1:8080", "127.0.0.1:8080", {}));
  EXPECT_TRUE(origin_allowed("http://[::1]:8080", "x", {}));
  EXPECT_FALSE(origin_allowed("https://evil.example", "chat.example.com", {}));
  EXPECT_FALSE(origin_allowed("http://localhost.evil.example", "chat.example.com", {}));
  EXPECT_FALSE(origin_allowed("null", "chat.example.com", {}));
}

TEST(OriginAllowed, ConfiguredListIsExact) {
  const std::vector<std::string> allowed{"https://shop.example"};
  EXPECT_TRUE(origin_allowed("https://shop.example", "chat.example", allowed));
  EXPECT_TRUE(origin_allowed("HTTPS://SHOP.EXAMPLE", "chat.example", allowed));
  EXPECT_FALSE(origin_allowed("https://shop.example.evil", "chat.example", allowed));
  EXPECT_FALSE(origin_allowed("http://localhost:1", "chat.example", allowed));
  EXPECT_TRUE(origin_allowed("https://anything", "chat.example", {"*"}));
}

TEST(HandshakeRateLimiter, AllowsBurstThenRefills) {
  HandshakeRateLimiter limiter(2.0, 3.0);
  const auto t0 = HandshakeRateLimiter::Clock::time_point{} + std::chrono::hours(1);
  EXPECT_TRUE(limiter.allow("1.2.3.4", t0));
  EXPECT_TRUE(limiter.allow("1.2.3.4", t0));
  EXPECT_TRUE(limiter.allow("1.2.3.4", t0));
  EXPECT_FALSE(limiter.allow("1.2.3.4", t0));
  EXPECT_TRUE(limiter.allow("5.6.7.8", t0));  // other addresses are not affected
  EXPECT_TRUE(limiter.allow("1.2.3.4", t0 + std::chrono::milliseconds(600)));
}

}  // namespace aicc::net
