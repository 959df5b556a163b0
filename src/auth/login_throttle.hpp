// Failed-login limits per username and per client address (pure; time comes in as `now`).
//
// A username gets `per_user` failures in a sliding `window`, an address `per_address`; past either,
// logins are refused with the number of seconds to wait, before any password is checked, so an
// attacker can neither guess quickly nor use the server's argon2 work against it. A success clears
// the username's failures (not the address's: one address may try many usernames).
#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace aicc::auth {

struct ThrottleLimits {
  std::size_t per_user = 5;
  std::size_t per_address = 20;
  std::int64_t window = 900;  // seconds
};

class LoginThrottle {
 public:
  explicit LoginThrottle(ThrottleLimits limits = {}) : limits_(limits) {}

  // 0 when a login may be tried now, else the seconds until it may.
  std::int64_t retry_after(std::string_view username, std::string_view address, std::int64_t now);
  void record_failure(std::string_view username, std::string_view address, std::int64_t now);
  void record_success(std::string_view username);

 private:
  using Failures = std::deque<std::int64_t>;  // unix seconds, oldest first
  std::int64_t wait_for(Failures& failures, std::size_t limit, std::int64_t now) const;
  void sweep(std::int64_t now);

  ThrottleLimits limits_;
  std::mutex mutex_;
  std::unordered_map<std::string, Failures> by_user_;
  std::unordered_map<std::string, Failures> by_address_;
  std::int64_t last_sweep_ = 0;
};

}  // namespace aicc::auth
