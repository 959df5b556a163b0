#include "log/rate_limited.hpp"

#include <gtest/gtest.h>

namespace aicc::log {
namespace {

using namespace std::chrono_literals;
const RateLimitedLog::Clock::time_point kStart{1000s};

TEST(RateLimitedLog, OneLinePerKeyAndIntervalCountingTheRest) {
  RateLimitedLog log(10s);
  EXPECT_EQ(log.admit("bad_signature", kStart), 0u);
  EXPECT_EQ(log.admit("bad_signature", kStart + 1s), std::nullopt);
  EXPECT_EQ(log.admit("bad_signature", kStart + 9s), std::nullopt);
  // Another reason is not held back by the first.
  EXPECT_EQ(log.admit("stale_timestamp", kStart + 9s), 0u);
  EXPECT_EQ(log.admit("bad_signature", kStart + 10s), 2u);
  EXPECT_EQ(log.admit("bad_signature", kStart + 20s), 0u);
}

TEST(RateLimitedLog, KeysBeyondTheLimitShareOne) {
  RateLimitedLog log(10s, 2);
  EXPECT_EQ(log.admit("a", kStart), 0u);
  EXPECT_EQ(log.admit("b", kStart), 0u);
  EXPECT_EQ(log.admit("c", kStart), 0u);
  EXPECT_EQ(log.admit("d", kStart), std::nullopt);
  EXPECT_EQ(log.admit("c", kStart + 10s), 1u);
}

}  // namespace
}  // namespace aicc::log
