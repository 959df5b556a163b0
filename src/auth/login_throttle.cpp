#include "auth/login_throttle.hpp"

#include <algorithm>

namespace aicc::auth {

std::int64_t LoginThrottle::wait_for(Failures& failures, std::size_t limit,
                                     std::int64_t now) const {
  while (!failures.empty() && failures.front() <= now - limits_.window) failures.pop_front();
  if (failures.size() < limit) return 0;
  // The oldest failure that still counts leaves the window at front + window.
  return std::max<std::int64_t>(1, failures[failures.size() - limit] + limits_.window - now);
}

std::int64_t LoginThrottle::retry_after(std::string_view username, std::string_view address,
                                        std::int64_t now) {
  std::lock_guard lock(mutex_);
  sweep(now);
  std::int64_t wait = 0;
  if (auto it = by_user_.find(std::string(username)); it != by_user_.end()) {
    wait = std::max(wait, wait_for(it->second, limits_.per_user, now));
  }
  if (auto it = by_address_.find(std::string(address)); it != by_address_.end()) {
    wait = std::max(wait, wait_for(it->second, limits_.per_address, now));
  }
  return wait;
}

void LoginThrottle::record_failure(std::string_view username, std::string_view address,
                                   std::int64_t now) {
  std::lock_guard lock(mutex_);
  auto& user = by_user_[std::string(username)];
  auto& from = by_address_[std::string(address)];
  // Bounded: only the last `limit` failures can matter.
  user.push_back(now);
  if (user.size() > limits_.per_user) user.pop_front();
  from.push_back(now);
  if (from.size() > limits_.per_address) from.pop_front();
}

void LoginThrottle::record_success(std::string_view username) {
  std::lock_guard lock(mutex_);
  by_user_.erase(std::string(username));
}

void LoginThrottle::sweep(std::int64_t now) {
  if (now - last_sweep_ < 60) return;
  last_sweep_ = now;
  auto stale = [&](const auto& entry) {
    return entry.second.empty() || entry.second.back() <= now - limits_.window;
  };
  std::erase_if(by_user_, stale);
  std::erase_if(by_address_, stale);
}

}  // namespace aicc::auth
