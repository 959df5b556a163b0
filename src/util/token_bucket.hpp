// A token bucket (pure: time comes in as `now`). It holds up to `burst` tokens and gains `rate`
// per second; an action costing n tokens may go when n are there. Used for every rate limit:
// handshakes per address, SEND frames and bytes per connection and per user.
#pragma once

#include <chrono>

namespace aicc::util {

class TokenBucket {
 public:
  using Clock = std::chrono::steady_clock;

  TokenBucket(double rate, double burst, Clock::time_point now)
      : rate_(rate), burst_(burst), tokens_(burst), updated_(now) {}

  // Tokens now (refilled up to `now`).
  double available(Clock::time_point now) {
    refill(now);
    return tokens_;
  }
  // How long until `cost` tokens are there (zero when they are now). A cost above the burst is
  // counted as the burst, so that one large action can go once the bucket is full.
  std::chrono::milliseconds wait_for(double cost, Clock::time_point now);
  // Takes `cost` tokens, which must be there (check with wait_for first).
  void take(double cost, Clock::time_point now);
  // Both in one: takes `cost` and answers true when it is there, else takes nothing.
  bool try_take(double cost, Clock::time_point now);
  // Full again by `now`, so forgetting it loses nothing (for sweeping idle buckets).
  bool full(Clock::time_point now) { return available(now) >= burst_; }

 private:
  void refill(Clock::time_point now);

  double rate_;
  double burst_;
  double tokens_;
  Clock::time_point updated_;
};

}  // namespace aicc::util
