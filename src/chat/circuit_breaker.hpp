// A circuit breaker for calls to the bot server (pure; time comes in as `now`).
//
// Closed: calls go through and their outcomes are counted. It opens after `consecutive_failures`
// failures in a row, or when at least `min_calls` outcomes in the last `window` include a
// `failure_ratio` share of failures. Open: every call is refused at once (the customer gets the
// apology answer without waiting for a timeout) for `open_for`. Then half-open: one trial call is
// let through; its success closes the circuit with fresh counts, its failure opens it again for
// another `open_for`. A trial whose outcome is never recorded frees its slot after `open_for`, so a
// lost callback cannot keep the circuit shut for ever.
//
// The window is kept as 10 buckets of counts, so memory is constant whatever the call rate; the
// ratio therefore looks back between 9/10 of `window` and all of it.
// Outcomes recorded while open belong to calls started before it opened and are ignored. A `now`
// earlier than one already seen (the wall clock stepped back) is treated as that later time.
//
// Not thread-safe: one breaker belongs to one strand (or the caller locks).
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <string_view>

namespace aicc::chat {

using Millis = std::int64_t;  // unix milliseconds

enum class CircuitState { kClosed, kOpen, kHalfOpen };
std::string_view to_string(CircuitState state);  // "closed", "open", "half_open"

struct CircuitBreakerOptions {
  int consecutive_failures = 5;  // failures in a row that open the circuit; >= 1
  double failure_ratio = 0.5;    // share of failures in `window` that opens it, in [0, 1];
                                 // 0 disables the ratio rule
  int min_calls = 20;            // outcomes `window` must hold before the ratio counts; >= 1
  std::chrono::milliseconds window{60'000};    // for the ratio rule; >= 10 ms
  std::chrono::milliseconds open_for{30'000};  // cool-down before a trial; > 0
};

class CircuitBreaker {
 public:
  // Throws std::invalid_argument for options outside the ranges above (a programming or
  // configuration mistake).
  explicit CircuitBreaker(CircuitBreakerOptions options = {});

  // May a call start now? Moves open → half-open once the cool-down has passed, and hands out the
  // single trial of the half-open state.
  bool allow(Millis now);
  void record_success(Millis now);
  void record_failure(Millis now);

  // The state as of the last call; an open circuit whose cool-down has passed still reports
  // kOpen until `allow` lets its trial through.
  CircuitState state() const { return state_; }
  // While open: when `allow` will next let a trial through.
  Millis retry_at() const { return opened_at_ + open_for_; }

 private:
  struct Bucket {
    Millis start = -1;  // first ms of the bucket's slice of time; -1: unused
    std::uint64_t successes = 0;
    std::uint64_t failures = 0;
  };
  static constexpr int kBuckets = 10;

  Millis advance(Millis now);  // the monotonic `now`
  Bucket& bucket_at(Millis now);
  void open(Millis now);
  void close();

  CircuitBreakerOptions options_;
  Millis bucket_ms_;
  Millis open_for_;

  CircuitState state_ = CircuitState::kClosed;
  Millis latest_ = 0;                       // the latest `now` seen
  int failures_in_a_row_ = 0;               // while closed
  std::array<Bucket, kBuckets> buckets_{};  // while closed: outcomes in the window
  Millis opened_at_ = 0;                    // when it last opened
  bool trial_out_ = false;                  // half-open: the trial call has been let through
  Millis trial_started_ = 0;                // half-open: when
};

}  // namespace aicc::chat
