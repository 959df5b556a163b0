#include "net/send_limits.hpp"

#include <algorithm>
#include <iterator>

namespace aicc::net {

SendAllowance::SendAllowance(const config::SendRateConfig& rate, Clock::time_point now)
    : frames_(rate.sends_per_second, rate.send_burst, now),
      bytes_(static_cast<double>(rate.bytes_per_second), static_cast<double>(rate.bytes_burst),
             now) {}

std::chrono::milliseconds SendAllowance::admit(std::size_t bytes, Clock::time_point now) {
  const auto wait =
      std::max(frames_.wait_for(1.0, now), bytes_.wait_for(static_cast<double>(bytes), now));
  if (wait.count() > 0) return wait;
  frames_.take(1.0, now);
  bytes_.take(static_cast<double>(bytes), now);
  return wait;
}

std::chrono::milliseconds UserSendLimits::admit(const std::string& user_id,
                                                broker::RateClass rate_class, std::size_t bytes,
                                                Clock::time_point now) {
  const bool lobby = rate_class == broker::RateClass::kLobby;
  std::lock_guard lock(mutex_);
  sweep(now);
  auto& allowances = lobby ? lobby_ : chat_;
  auto [it, inserted] = allowances.try_emplace(user_id, lobby ? limits_.lobby : limits_.chat, now);
  return it->second.admit(bytes, now);
}

std::size_t UserSendLimits::tracked() const {
  std::lock_guard lock(mutex_);
  return chat_.size() + lobby_.size();
}

void UserSendLimits::sweep(Clock::time_point now) {
  if (now - last_sweep_ < std::chrono::seconds(60)) return;
  last_sweep_ = now;
  for (auto it = chat_.begin(); it != chat_.end();) {
    it = it->second.idle(now) ? chat_.erase(it) : std::next(it);
  }
  for (auto it = lobby_.begin(); it != lobby_.end();) {
    it = it->second.idle(now) ? lobby_.erase(it) : std::next(it);
  }
}

}  // namespace aicc::net
