#include "chat/circuit_breaker.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace aicc::chat {
namespace {

using namespace std::chrono_literals;

constexpr Millis kBreakerT0 =
    1'700'000'000'000;  // any fixed instant; the breaker never reads a clock

// Only the consecutive-failures rule, 3 in a row, 1 s cool-down.
CircuitBreakerOptions consecutive_only() {
  CircuitBreakerOptions options;
  options.consecutive_failures = 3;
  options.failure_ratio = 0.0;
  options.open_for = 1000ms;
  return options;
}

// Only the ratio rule: half of at least 10 calls in 10 s.
CircuitBreakerOptions ratio_only() {
  CircuitBreakerOptions options;
  options.consecutive_failures = 1000;
  options.failure_ratio = 0.5;
  options.min_calls = 10;
  options.window = 10'000ms;
  options.open_for = 1000ms;
  return options;
}

// Opens a consecutive_only() breaker at `at`.
void trip(CircuitBreaker& breaker, Millis at) {
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(breaker.allow(at));
    breaker.record_failure(at);
  }
  ASSERT_EQ(breaker.state(), CircuitState::kOpen);
}

TEST(CircuitBreakerTest, StartsClosedAndLetsCallsThrough) {
  CircuitBreaker breaker;
  EXPECT_EQ(breaker.state(), CircuitState::kClosed);
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(breaker.allow(kBreakerT0 + i));
}

TEST(CircuitBreakerTest, OpensAfterConsecutiveFailures) {
  CircuitBreaker breaker(consecutive_only());
  breaker.record_failure(kBreakerT0);
  breaker.record_failure(kBreakerT0 + 1);
  EXPECT_EQ(breaker.state(), CircuitState::kClosed);
  breaker.record_failure(kBreakerT0 + 2);
  EXPECT_EQ(breaker.state(), CircuitState::kOpen);
  EXPECT_FALSE(breaker.allow(kBreakerT0 + 3));
  EXPECT_EQ(breaker.retry_at(), kBreakerT0 + 2 + 1000);
}

TEST(CircuitBreakerTest, SuccessResetsTheRunOfFailures) {
  CircuitBreaker breaker(consecutive_only());
  for (int round = 0; round < 10; ++round) {
    breaker.record_failure(kBreakerT0 + round);
    breaker.record_failure(kBreakerT0 + round);
    breaker.record_success(kBreakerT0 + round);
  }
  EXPECT_EQ(breaker.state(), CircuitState::kClosed);
}

TEST(CircuitBreakerTest, RefusesEveryCallDuringTheCoolDown) {
  CircuitBreaker breaker(consecutive_only());
  trip(breaker, kBreakerT0);
  for (Millis t = kBreakerT0; t < kBreakerT0 + 1000; t += 50) EXPECT_FALSE(breaker.allow(t));
  EXPECT_EQ(breaker.state(), CircuitState::kOpen);
}

TEST(CircuitBreakerTest, HalfOpenLetsExactlyOneTrialThrough) {
  CircuitBreaker breaker(consecutive_only());
  trip(breaker, kBreakerT0);
  EXPECT_TRUE(breaker.allow(kBreakerT0 + 1000));
  EXPECT_EQ(breaker.state(), CircuitState::kHalfOpen);
  EXPECT_FALSE(breaker.allow(kBreakerT0 + 1001));
  EXPECT_FALSE(breaker.allow(kBreakerT0 + 1500));
}

TEST(CircuitBreakerTest, TrialSuccessClosesWithFreshCounts) {
  CircuitBreaker breaker(consecutive_only());
  trip(breaker, kBreakerT0);
  ASSERT_TRUE(breaker.allow(kBreakerT0 + 1000));
  breaker.record_success(kBreakerT0 + 1100);
  EXPECT_EQ(breaker.state(), CircuitState::kClosed);
  EXPECT_TRUE(breaker.allow(kBreakerT0 + 1101));
  // The failures before opening are forgotten: two more do not open it again.
  breaker.record_failure(kBreakerT0 + 1200);
  breaker.record_failure(kBreakerT0 + 1200);
  EXPECT_EQ(breaker.state(), CircuitState::kClosed);
}

TEST(CircuitBreakerTest, TrialFailureOpensForAnotherCoolDown) {
  CircuitBreaker breaker(consecutive_only());
  trip(breaker, kBreakerT0);
  ASSERT_TRUE(breaker.allow(kBreakerT0 + 1000));
  breaker.record_failure(kBreakerT0 + 1200);
  EXPECT_EQ(breaker.state(), CircuitState::kOpen);
  EXPECT_EQ(breaker.retry_at(), kBreakerT0 + 2200);
  EXPECT_FALSE(breaker.allow(kBreakerT0 + 2199));
  EXPECT_TRUE(breaker.allow(kBreakerT0 + 2200));
  EXPECT_EQ(breaker.state(), CircuitState::kHalfOpen);
}

TEST(CircuitBreakerTest, LostTrialFreesItsSlotAfterTheCoolDown) {
  CircuitBreaker breaker(consecutive_only());
  trip(breaker, kBreakerT0);
  ASSERT_TRUE(breaker.allow(kBreakerT0 + 1000));  // its outcome is never recorded
  EXPECT_FALSE(breaker.allow(kBreakerT0 + 1999));
  EXPECT_TRUE(breaker.allow(kBreakerT0 + 2000));
  EXPECT_FALSE(breaker.allow(kBreakerT0 + 2001));
}

TEST(CircuitBreakerTest, OutcomesRecordedWhileOpenAreIgnored) {
  CircuitBreaker breaker(consecutive_only());
  trip(breaker, kBreakerT0);
  breaker.record_success(kBreakerT0 + 10);  // a call that started before it opened
  EXPECT_EQ(breaker.state(), CircuitState::kOpen);
  breaker.record_failure(kBreakerT0 + 500);
  EXPECT_EQ(breaker.retry_at(), kBreakerT0 + 1000);  // the cool-down is not extended
}

TEST(CircuitBreakerTest, OpensOnFailureRatio) {
  CircuitBreaker breaker(ratio_only());
  for (int i = 0; i < 9; ++i) {
    if (i % 2 == 0) {
      breaker.record_success(kBreakerT0 + i);
    } else {
      breaker.record_failure(kBreakerT0 + i);
    }
  }
  EXPECT_EQ(breaker.state(), CircuitState::kClosed);  // 4 of 9: too few calls and below half
  breaker.record_failure(kBreakerT0 + 9);             // 5 of 10
  EXPECT_EQ(breaker.state(), CircuitState::kOpen);
}

TEST(CircuitBreakerTest, RatioNeedsMinimumCalls) {
  CircuitBreaker breaker(ratio_only());
  for (int i = 0; i < 9; ++i) breaker.record_failure(kBreakerT0 + i);  // 9 of 9, but only 9 calls
  EXPECT_EQ(breaker.state(), CircuitState::kClosed);
  breaker.record_failure(kBreakerT0 + 9);
  EXPECT_EQ(breaker.state(), CircuitState::kOpen);
}

TEST(CircuitBreakerTest, OutcomesOutsideTheWindowDoNotCount) {
  CircuitBreaker breaker(ratio_only());
  for (int i = 0; i < 9; ++i) breaker.record_failure(kBreakerT0 + i);
  // Well past the window, a lone failure among successes does not reach the ratio.
  const Millis later = kBreakerT0 + 60'000;
  for (int i = 0; i < 9; ++i) breaker.record_success(later + i);
  breaker.record_failure(later + 9);
  EXPECT_EQ(breaker.state(), CircuitState::kClosed);
}

TEST(CircuitBreakerTest, FailuresSpreadOverTheWindowStillCount) {
  CircuitBreaker breaker(ratio_only());
  // One failure every 900 ms: ten of them span 8.1 s, inside the 10 s window.
  for (int i = 0; i < 10; ++i) breaker.record_failure(kBreakerT0 + i * 900);
  EXPECT_EQ(breaker.state(), CircuitState::kOpen);
}

TEST(CircuitBreakerTest, RatioZeroDisablesTheRatioRule) {
  CircuitBreakerOptions options = ratio_only();
  options.failure_ratio = 0.0;
  CircuitBreaker breaker(options);
  for (int i = 0; i < 999; ++i) {
    breaker.record_failure(kBreakerT0 + i);
    breaker.record_success(kBreakerT0 + i);
  }
  EXPECT_EQ(breaker.state(), CircuitState::kClosed);
}

TEST(CircuitBreakerTest, ClockSteppingBackNeitherShortensNorBreaksTheCoolDown) {
  CircuitBreaker breaker(consecutive_only());
  trip(breaker, kBreakerT0);
  EXPECT_FALSE(breaker.allow(kBreakerT0 - 3'600'000));  // an hour back
  EXPECT_FALSE(breaker.allow(kBreakerT0 + 999));
  EXPECT_TRUE(breaker.allow(kBreakerT0 + 1000));
}

TEST(CircuitBreakerTest, ManyCallsUseConstantMemory) {
  CircuitBreakerOptions options = ratio_only();
  options.min_calls = 1'000'000;
  CircuitBreaker breaker(options);
  for (int i = 0; i < 200'000; ++i) {
    breaker.record_success(kBreakerT0 + i / 10);
    breaker.record_failure(kBreakerT0 + i / 10);
    breaker.record_success(kBreakerT0 + i / 10);
  }
  EXPECT_EQ(breaker.state(), CircuitState::kClosed);
  static_assert(sizeof(CircuitBreaker) < 512, "the window is a fixed set of buckets");
}

TEST(CircuitBreakerTest, RefusesNonsenseOptions) {
  const auto with = [](auto change) {
    CircuitBreakerOptions options;
    change(options);
    return options;
  };
  EXPECT_THROW(CircuitBreaker(with([](auto& o) { o.consecutive_failures = 0; })),
               std::invalid_argument);
  EXPECT_THROW(CircuitBreaker(with([](auto& o) { o.failure_ratio = 1.5; })), std::invalid_argument);
  EXPECT_THROW(CircuitBreaker(with([](auto& o) { o.failure_ratio = -0.1; })),
               std::invalid_argument);
  EXPECT_THROW(CircuitBreaker(with([](auto& o) { o.min_calls = 0; })), std::invalid_argument);
  EXPECT_THROW(CircuitBreaker(with([](auto& o) { o.window = 5ms; })), std::invalid_argument);
  EXPECT_THROW(CircuitBreaker(with([](auto& o) { o.open_for = 0ms; })), std::invalid_argument);
}

TEST(CircuitBreakerTest, StatesHaveNames) {
  EXPECT_EQ(to_string(CircuitState::kClosed), "closed");
  EXPECT_EQ(to_string(CircuitState::kOpen), "open");
  EXPECT_EQ(to_string(CircuitState::kHalfOpen), "half_open");
}

}  // namespace
}  // namespace aicc::chat
