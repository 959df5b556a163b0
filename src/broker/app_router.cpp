#include "broker/app_router.hpp"

#include <stdexcept>

namespace aicc::broker {
namespace {

const DestinationSpec& listed(std::span<const DestinationSpec> catalog,
                              std::string_view destination, Direction direction) {
  const DestinationSpec* spec = find_destination_spec(catalog, destination, direction);
  if (spec == nullptr) {
    throw std::logic_error("destination " + std::string(destination) + " (" +
                           std::string(to_string(direction)) +
                           ") is not in broker/destination_catalog.cpp: list it there first");
  }
  return *spec;
}

}  // namespace

void AppRouter::add(std::string_view destination, AppHandler handler) {
  const DestinationSpec& spec = listed(catalog_, destination, Direction::kSend);
  sends_[std::string(spec.name)] = SendRoute{spec.roles, spec.rate, std::move(handler)};
}

void AppRouter::add_subscription(std::string_view destination, SubscribeGuard guard) {
  const DestinationSpec& spec = listed(catalog_, destination, Direction::kSubscribe);
  subscriptions_[std::string(registration_pattern(spec.name))] =
      SubscribeRoute{spec.roles, std::move(guard)};
}

std::vector<std::string> AppRouter::unregistered() const {
  std::vector<std::string> missing;
  for (const DestinationSpec& spec : catalog_) {
    if (spec.answered_by_connection) continue;
    const bool registered = spec.direction == Direction::kSend
                                ? sends_.contains(spec.name)
                                : subscriptions_.contains(registration_pattern(spec.name));
    if (!registered) {
      missing.push_back(std::string(to_string(spec.direction)) + " " + std::string(spec.name));
    }
  }
  return missing;
}

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
