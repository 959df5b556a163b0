#include "util/token_bucket.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace aicc::util {

void TokenBucket::refill(Clock::time_point now) {
  if (now <= updated_) return;
  const double elapsed = std::chrono::duration<double>(now - updated_).count();
  tokens_ = std::min(burst_, tokens_ + elapsed * rate_);
  updated_ = now;
}

std::chrono::milliseconds TokenBucket::wait_for(double cost, Clock::time_point now) {
  refill(now);
  cost = std::min(cost, burst_);
  if (tokens_ >= cost) return std::chrono::milliseconds{0};
  if (rate_ <= 0) return std::chrono::milliseconds::max();
  const double seconds = (cost - tokens_) / rate_;
  return std::chrono::milliseconds{static_cast<std::int64_t>(std::ceil(seconds * 1000))};
}

void TokenBucket::take(double cost, Clock::time_point now) {
  refill(now);
  tokens_ = std::max(0.0, tokens_ - std::min(cost, burst_));
}

bool TokenBucket::try_take(double cost, Clock::time_point now) {
  if (wait_for(cost, now).count() > 0) return false;
  take(cost, now);
  return true;
}

}  // namespace aicc::util
