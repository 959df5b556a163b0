// Rate limits on what clients send: SEND frames and their body bytes, per connection (every
// SEND) and per user across all of their connections (by the destination's rate class: generous
// for conversations, strict for the lobby). A SEND over a limit is refused with rate_limited and
// how long to wait; it is never queued, so a flood costs the server nothing it keeps.
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>

#include "broker/app_router.hpp"
#include "config/config.hpp"
#include "util/token_bucket.hpp"

namespace aicc::net {

// Frames and bytes together: a SEND goes when both buckets have room, and only then is counted.
class SendAllowance {
 public:
  using Clock = util::TokenBucket::Clock;
  SendAllowance(const config::SendRateConfig& rate, Clock::time_point now);

  // Zero when a SEND of `bytes` may go (it is counted), else how long until it may.
  std::chrono::milliseconds admit(std::size_t bytes, Clock::time_point now);
  bool idle(Clock::time_point now) { return frames_.full(now) && bytes_.full(now); }

 private:
  util::TokenBucket frames_;
  util::TokenBucket bytes_;
};

// Every user's allowances, shared by their connections on every I/O thread.
class UserSendLimits {
 public:
  using Clock = SendAllowance::Clock;
  explicit UserSendLimits(const config::LimitsConfig& limits) : limits_(limits) {}

  std::chrono::milliseconds admit(const std::string& user_id, broker::RateClass rate_class,
                                  std::size_t bytes, Clock::time_point now);
  std::size_t tracked() const;

 private:
  // Allowances full again are forgotten now and then: memory follows active users only.
  void sweep(Clock::time_point now);

  const config::LimitsConfig& limits_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, SendAllowance> chat_;
  std::unordered_map<std::string, SendAllowance> lobby_;
  Clock::time_point last_sweep_{};
};

}  // namespace aicc::net
