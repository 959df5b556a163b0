#include "broker/app_router.hpp"

namespace aicc::broker {

const SubscribeRoute* AppRouter::find_subscription(std::string_view destination) const {
  const SubscribeRoute* best = nullptr;
  std::size_t best_size = 0;
  for (const auto& [pattern, route] : subscriptions_) {
    const bool prefix = !pattern.empty() && pattern.back() == '/';
    const bool covers =
        prefix ? destination.size() > pattern.size() && destination.starts_with(pattern)
               : destination == pattern;
    if (covers && (best == nullptr || pattern.size() > best_size)) {
      best = &route;
      best_size = pattern.size();
    }
  }
  return best;
}

}  // namespace aicc::broker
