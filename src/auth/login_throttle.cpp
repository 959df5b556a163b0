#include "auth/login_throttle.hpp"

#include <algorithm>
#include <vector>

#include "auth/token_service.hpp"
#include "util/random.hpp"

namespace aicc::auth {
namespace {

// Hashed: usernames and addresses are client input, and the keys stay short and opaque.
std::string user_key(std::string_view username) {
  return "login-failures:user:" + sha256_hex(username);
}
std::string address_key(std::string_view address) {
  return "login-failures:address:" + sha256_hex(address);
}

}  // namespace

LoginThrottle::LoginThrottle(ThrottleLimits limits, util::SharedState* shared)
    : limits_(limits),
      own_shared_(shared ? nullptr : std::make_unique<util::MemorySharedState>()),
      shared_(shared ? *shared : *own_shared_) {}

std::int64_t LoginThrottle::wait_for(const std::string& key, std::size_t limit, std::int64_t now) {
  const std::vector<std::int64_t> failures =
      shared_.events(key, now, limits_.window, limit, /*record=*/false);
  if (failures.size() < limit) return 0;
  // The oldest failure that still counts leaves the window at its time + window.
  return std::max<std::int64_t>(1, failures[failures.size() - limit] + limits_.window - now);
}

namespace {

// The oldest failure that still counts leaves the window at its time + window.
std::int64_t wait_from(const std::vector<std::int64_t>& failures, std::size_t limit,
                       std::int64_t window, std::int64_t now) {
  if (limit == 0 || failures.size() < limit) return 1;  // refused with room left: cannot be
  return std::max<std::int64_t>(1, failures[failures.size() - limit] + window - now);
}

}  // namespace

LoginThrottle::Attempt LoginThrottle::begin(std::string_view username, std::string_view address,
                                            std::int64_t now) {
  Attempt attempt{0, util::random_hex(8)};
  const auto by_user =
      shared_.reserve(user_key(username), attempt.id, now, limits_.window, limits_.per_user);
  if (!by_user.recorded) {
    return {wait_from(by_user.times, limits_.per_user, limits_.window, now), {}};
  }
  const auto by_address =
      shared_.reserve(address_key(address), attempt.id, now, limits_.window, limits_.per_address);
  if (!by_address.recorded) {
    shared_.release(user_key(username), attempt.id);
    return {wait_from(by_address.times, limits_.per_address, limits_.window, now), {}};
  }
  return attempt;
}

void LoginThrottle::succeeded(std::string_view username, std::string_view address,
                              const Attempt& attempt) {
  shared_.clear(user_key(username));
  if (!attempt.id.empty()) shared_.release(address_key(address), attempt.id);
}

void LoginThrottle::abandoned(std::string_view username, std::string_view address,
                              const Attempt& attempt) {
  if (attempt.id.empty()) return;
  shared_.release(user_key(username), attempt.id);
  shared_.release(address_key(address), attempt.id);
}

std::int64_t LoginThrottle::retry_after(std::string_view username, std::string_view address,
                                        std::int64_t now) {
  return std::max(wait_for(user_key(username), limits_.per_user, now),
                  wait_for(address_key(address), limits_.per_address, now));
}

void LoginThrottle::record_failure(std::string_view username, std::string_view address,
                                   std::int64_t now) {
  // Bounded: only the last `limit` failures can matter.
  shared_.events(user_key(username), now, limits_.window, limits_.per_user, /*record=*/true);
  shared_.events(address_key(address), now, limits_.window, limits_.per_address,
                 /*record=*/true);
}

void LoginThrottle::record_success(std::string_view username) { shared_.clear(user_key(username)); }

}  // namespace aicc::auth
