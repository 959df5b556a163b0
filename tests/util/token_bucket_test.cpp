#include "util/token_bucket.hpp"

#include <gtest/gtest.h>

namespace aicc::util {
namespace {

using std::chrono::milliseconds;
using Clock = TokenBucket::Clock;

const Clock::time_point t0 = Clock::time_point{} + std::chrono::hours(1);

TEST(TokenBucket, StartsFullAndRefusesPastTheBurst) {
  TokenBucket bucket(2.0, 3.0, t0);
  EXPECT_TRUE(bucket.try_take(1, t0));
  EXPECT_TRUE(bucket.try_take(1, t0));
  EXPECT_TRUE(bucket.try_take(1, t0));
  EXPECT_FALSE(bucket.try_take(1, t0));
  // Two per second: the next token is there in 500 ms.
  EXPECT_EQ(bucket.wait_for(1, t0), milliseconds(500));
  EXPECT_FALSE(bucket.try_take(1, t0 + milliseconds(499)));
  EXPECT_TRUE(bucket.try_take(1, t0 + milliseconds(500)));
}

TEST(TokenBucket, RefillsNoHigherThanTheBurst) {
  TokenBucket bucket(10.0, 5.0, t0);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(bucket.try_take(1, t0));
  EXPECT_DOUBLE_EQ(bucket.available(t0 + std::chrono::hours(1)), 5.0);
  EXPECT_TRUE(bucket.full(t0 + std::chrono::hours(1)));
}

TEST(TokenBucket, ACostAboveTheBurstGoesOnceTheBucketIsFull) {
  // Otherwise one frame larger than the byte burst could never be sent.
  TokenBucket bucket(100.0, 1000.0, t0);
  EXPECT_TRUE(bucket.try_take(5000, t0));
  EXPECT_FALSE(bucket.try_take(5000, t0));
  EXPECT_EQ(bucket.wait_for(5000, t0), milliseconds(10000));
}

TEST(TokenBucket, TimeGoingBackwardsChangesNothing) {
  TokenBucket bucket(1.0, 1.0, t0);
  EXPECT_TRUE(bucket.try_take(1, t0));
  EXPECT_FALSE(bucket.try_take(1, t0 - std::chrono::seconds(10)));
  EXPECT_TRUE(bucket.try_take(1, t0 + std::chrono::seconds(1)));
}

}  // namespace
}  // namespace aicc::util
