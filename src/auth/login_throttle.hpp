// Failed-login limits per username and per client address (time comes in as `now`).
//
// A username gets `per_user` failures in a sliding `window`, an address `per_address`; past either,
// logins are refused with the number of seconds to wait, before any password is checked, so an
// attacker can neither guess quickly nor use the server's argon2 work against it. A success clears
// the username's failures (not the address's: one address may try many usernames).
//
// The failures live in the shared state (util/shared_state.hpp): this process's memory on one node,
// Redis across nodes, so that the limits hold for the whole cluster instead of once per node. Calls
// may block on it (run them off the I/O threads) and throw util::SharedStateUnavailable.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "util/memory_shared_state.hpp"
#include "util/shared_state.hpp"

namespace aicc::auth {

struct ThrottleLimits {
  std::size_t per_user = 5;
  std::size_t per_address = 20;
  std::int64_t window = 900;  // seconds
};

class LoginThrottle {
 public:
  // `shared`: where the failures live; null keeps them in this process (one node).
  explicit LoginThrottle(ThrottleLimits limits = {}, util::SharedState* shared = nullptr);

  // A login about to be checked. It counts as a failure from the start, for its username and its
  // address, in the same step as the limits are checked (so that logins tried at once, on one node
  // or several, cannot all pass the check before any of them counts); succeeded() or abandoned()
  // take it back.
  struct Attempt {
    std::int64_t retry_after = 0;  // > 0: refused, try again in this many seconds
    std::string id;                // of the counted attempt; empty when refused
  };
  Attempt begin(std::string_view username, std::string_view address, std::int64_t now);
  // The password was right: the username's failures are cleared, and the attempt does not count
  // for the address.
  void succeeded(std::string_view username, std::string_view address, const Attempt& attempt);
  // Not a wrong password after all (the account is disabled, the check could not run): the
  // attempt does not count.
  void abandoned(std::string_view username, std::string_view address, const Attempt& attempt);

  // 0 when a login may be tried now, else the seconds until it may.
  std::int64_t retry_after(std::string_view username, std::string_view address, std::int64_t now);
  void record_failure(std::string_view username, std::string_view address, std::int64_t now);
  void record_success(std::string_view username);
  // The failures live in this process (one node): the calls never wait.
  bool is_local() const { return own_shared_ != nullptr; }

 private:
  std::int64_t wait_for(const std::string& key, std::size_t limit, std::int64_t now);

  ThrottleLimits limits_;
  std::unique_ptr<util::MemorySharedState> own_shared_;
  util::SharedState& shared_;
};

}  // namespace aicc::auth
