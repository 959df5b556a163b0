// Managing accounts: create, disable and enable, reset a password, set an agent's room limit,
// rename. Both the admin HTTP API (http/user_admin_routes.hpp) and the `aicc-chat user` command
// go through it, so the same rules apply and every change lands in the user audit log with who
// made it (never a password).
//
// Disabling a user or resetting their password revokes every login of theirs in the store (their
// refresh tokens, and the access tokens those issued until they would expire), then calls the
// `revoked` hook: the server reads the revocations back at once (TokenService::sync_revocations),
// which ends the live sessions on every node.
//
// Calls block (store, argon2id hashing): run them off I/O threads. Thread-safe as the store is.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "auth/user.hpp"
#include "auth/user_store.hpp"
#include "util/result.hpp"

namespace aicc::auth {

// Who asks for a change, as the audit log records them.
struct Actor {
  std::string id;          // the admin's user id, or "cli:" + the OS user
  std::string name;        // display name or OS user
  std::string request_id;  // the HTTP request's correlation id; empty from the CLI
};

// A refused change, as the HTTP API answers it.
struct AdminRefusal {
  unsigned status = 400;
  std::string code;     // "bad_request", "not_found", "username_taken", "last_admin", ...
  std::string message;  // for people
};

template <class T>
using AdminResult = util::Result<T, AdminRefusal>;

struct NewAccount {
  std::string username;
  Role role = Role::kAgent;
  std::string display_name;  // empty: the username
  std::string password;      // empty: generate one
  int max_rooms = 0;         // agents: 0 for the default, else kMinRoomLimit..kMaxRoomLimit
};

// A changed account, and a password generated for it (shown once, never stored or logged).
struct AccountChange {
  User user;
  std::string generated_password;
  bool changed = true;  // false: it already was so (nothing written, nothing audited)
};

class UserAdmin {
 public:
  // `staff_only`: customers and guests are "not found" (the HTTP API manages staff only).
  // `deny_for`: seconds a revoked login's access tokens stay refused (access validity + skew).
  UserAdmin(UserStore& store, std::int64_t deny_for, bool staff_only,
            std::function<void()> revoked = {});

  // The user by id, as this admin sees them (nullopt also for customers when staff_only).
  std::optional<User> find(const std::string& id);

  AdminResult<AccountChange> create(const Actor& actor, NewAccount account);
  // Disable: refused for oneself and for the last enabled admin; revokes every login.
  AdminResult<AccountChange> set_disabled(const Actor& actor, const std::string& id, bool disabled);
  // A new password (`password`, or a generated one when empty); revokes every login.
  AdminResult<AccountChange> reset_password(const Actor& actor, const std::string& id,
                                            const std::string& password);
  // Agents only: 0 for routing.max-rooms-per-agent, else kMinRoomLimit..kMaxRoomLimit.
  AdminResult<AccountChange> set_max_rooms(const Actor& actor, const std::string& id,
                                           int max_rooms);
  AdminResult<AccountChange> rename(const Actor& actor, const std::string& id,
                                    const std::string& display_name);

 private:
  AdminResult<User> target(const std::string& id);
  void audit(const Actor& actor, const User& user, std::string action, std::string detail);
  std::size_t revoke_logins(const User& user, const std::string& reason);

  UserStore& store_;
  std::int64_t deny_for_;
  bool staff_only_;
  std::function<void()> revoked_;
};

}  // namespace aicc::auth
