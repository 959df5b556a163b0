#include "chat/circuit_breaker.hpp"

#include <algorithm>
#include <stdexcept>

namespace aicc::chat {

std::string_view to_string(CircuitState state) {
  switch (state) {
    case CircuitState::kClosed:
      return "closed";
    case CircuitState::kOpen:
      return "open";
    case CircuitState::kHalfOpen:
      return "half_open";
  }
  return "unknown";
}

CircuitBreaker::CircuitBreaker(CircuitBreakerOptions options)
    : options_(options),
      bucket_ms_(options.window.count() / kBuckets),
      open_for_(options.open_for.count()) {
  if (options_.consecutive_failures < 1) {
    throw std::invalid_argument("circuit breaker: consecutive_failures must be at least 1");
  }
  if (!(options_.failure_ratio >= 0.0 && options_.failure_ratio <= 1.0)) {
    throw std::invalid_argument("circuit breaker: failure_ratio must be within [0, 1]");
  }
  if (options_.min_calls < 1) {
    throw std::invalid_argument("circuit breaker: min_calls must be at least 1");
  }
  if (bucket_ms_ < 1) throw std::invalid_argument("circuit breaker: window must be >= 10 ms");
  if (open_for_ < 1) throw std::invalid_argument("circuit breaker: open_for must be positive");
}

Millis CircuitBreaker::advance(Millis now) {
  latest_ = std::max(latest_, now);
  return latest_;
}

CircuitBreaker::Bucket& CircuitBreaker::bucket_at(Millis now) {
  const Millis start = now - now % bucket_ms_;
  Bucket& bucket = buckets_[static_cast<std::size_t>((now / bucket_ms_) % kBuckets)];
  if (bucket.start != start) bucket = Bucket{start, 0, 0};
  return bucket;
}

bool CircuitBreaker::allow(Millis now) {
  now = advance(now);
  switch (state_) {
    case CircuitState::kClosed:
      return true;
    case CircuitState::kOpen:
      if (now < opened_at_ + open_for_) return false;
      state_ = CircuitState::kHalfOpen;
      trial_out_ = true;
      trial_started_ = now;
      return true;
    case CircuitState::kHalfOpen:
      if (trial_out_ && now < trial_started_ + open_for_) return false;
      trial_out_ = true;
      trial_started_ = now;
      return true;
  }
  return false;
}

void CircuitBreaker::record_success(Millis now) {
  now = advance(now);
  switch (state_) {
    case CircuitState::kClosed:
      failures_in_a_row_ = 0;
      ++bucket_at(now).successes;
      return;
    case CircuitState::kHalfOpen:
      close();
      return;
    case CircuitState::kOpen:
      return;
  }
}

void CircuitBreaker::record_failure(Millis now) {
  now = advance(now);
  switch (state_) {
    case CircuitState::kClosed: {
      ++failures_in_a_row_;
      ++bucket_at(now).failures;
      if (failures_in_a_row_ >= options_.consecutive_failures) {
        open(now);
        return;
      }
      if (options_.failure_ratio <= 0.0) return;
      std::uint64_t calls = 0;
      std::uint64_t failures = 0;
      const Millis window_start = now - options_.window.count();
      for (const Bucket& bucket : buckets_) {
        if (bucket.start < 0 || bucket.start + bucket_ms_ <= window_start) continue;
        calls += bucket.successes + bucket.failures;
        failures += bucket.failures;
      }
      if (calls >= static_cast<std::uint64_t>(options_.min_calls) &&
          static_cast<double>(failures) >= options_.failure_ratio * static_cast<double>(calls)) {
        open(now);
      }
      return;
    }
    case CircuitState::kHalfOpen:
      open(now);
      return;
    case CircuitState::kOpen:
      return;
  }
}

void CircuitBreaker::open(Millis now) {
  state_ = CircuitState::kOpen;
  opened_at_ = now;
  trial_out_ = false;
}

void CircuitBreaker::close() {
  state_ = CircuitState::kClosed;
  failures_in_a_row_ = 0;
  buckets_.fill(Bucket{});
  trial_out_ = false;
}

}  // namespace aicc::chat
