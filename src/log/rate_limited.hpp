// A limit on repeated log lines: refusals an operator must see (a webhook with a bad signature)
// are logged, but a flood of them writes one line per key and interval, which also says how many
// were left out since the last one. Pure but for one lock: time comes in as `now`.
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace aicc::log {

class RateLimitedLog {
 public:
  using Clock = std::chrono::steady_clock;

  // At most one line per key per `interval`, for at most `max_keys` keys (more are one key).
  explicit RateLimitedLog(Clock::duration interval, std::size_t max_keys = 64)
      : interval_(interval), max_keys_(max_keys) {}

  // nullopt: stay quiet (counted). Else log now, saying that this many were left out before.
  std::optional<std::size_t> admit(std::string_view key, Clock::time_point now) {
    std::lock_guard lock(mutex_);
    std::string name(key);
    if (!entries_.contains(name) && entries_.size() >= max_keys_) name = "(other)";
    auto [it, fresh] = entries_.try_emplace(std::move(name));
    Entry& entry = it->second;
    if (!fresh && now - entry.last < interval_) {
      ++entry.suppressed;
      return std::nullopt;
    }
    entry.last = now;
    return std::exchange(entry.suppressed, 0);
  }

 private:
  struct Entry {
    Clock::time_point last{};
    std::size_t suppressed = 0;  // quiet since `last`
  };
  Clock::duration interval_;
  std::size_t max_keys_;
  std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace aicc::log
