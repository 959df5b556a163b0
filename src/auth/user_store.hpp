// The storage port of identity: users, refresh tokens, revoked access tokens and revoked logins.
//
// Adapters (store/sqlite, later store/postgres) implement it with the same contract tests. Calls
// block (disk, network): the server makes them from its blocking worker pool, never from an I/O
// thread. Implementations are thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "auth/user.hpp"

namespace aicc::auth {

// One refresh token. Only its hash is stored; the token itself lives in the client's cookie.
struct RefreshToken {
  std::string token_hash;  // hex SHA-256 of the token
  std::string family_id;   // every rotation of one login shares it
  std::string user_id;
  std::int64_t issued_at = 0;   // unix seconds
  std::int64_t expires_at = 0;  // unix seconds
  bool rotated = false;         // already exchanged for a newer one: presenting it again is reuse
  std::int64_t rotated_at = 0;  // unix seconds of the first rotation; 0 while unused
  bool revoked = false;         // its family was revoked (logout, reuse, disabled user)
};

// A revoked login: every access token issued under the family is refused.
struct RevokedLogin {
  std::string family_id;
  std::string reason;  // why, for the ERROR that ends its sessions ("account disabled", ...)
};

// One change an administrator (or the `aicc-chat user` command) made to a user: who, what, on whom,
// when. Never a password, not even a hash.
struct UserAuditEntry {
  std::int64_t id = 0;          // set by the store: increasing in append order, never reused
  std::int64_t at = 0;          // unix milliseconds
  std::string actor_id;         // the admin's user id, or "cli:" + the OS user
  std::string actor_name;       // their display name (or OS user) at the time
  std::string action;           // "create", "disable", "enable", "reset_password", "max_rooms",
                                // "rename"
  std::string target_id;        // the user changed
  std::string target_username;  // their username at the time
  std::string detail;           // what changed, e.g. "role=AGENT", "maxRooms=2"; may be empty
  std::string request_id;       // the HTTP request's correlation id; empty from the CLI
};

// Which staff (agents and admins, never customers) to list, by username.
struct StaffQuery {
  std::optional<Role> role;      // kAgent or kAdmin; empty: both
  std::optional<bool> disabled;  // empty: both
  std::string after_username;    // paging cursor: only usernames after it (byte order)
  std::size_t limit = 100;       // at most this many; the caller caps what users may ask for
};

enum class DisableOutcome {
  kDisabled,   // disabled now, or it already was
  kNotFound,   // no such user
  kLastAdmin,  // the user is the last enabled admin: nobody could manage users any more
};

enum class RotateOutcome {
  kRotated,  // the old token is now marked rotated and the new one stored
  kUnknown,  // no such token
  kReused,   // the old token had already been rotated: a stolen copy is in use
  kRevoked,  // the family was revoked
  kExpired,
};

class UserStore {
 public:
  virtual ~UserStore() = default;

  // Users. create_user() returns false when the id or username is taken.
  virtual bool create_user(const User& user) = 0;
  virtual std::optional<User> find_user(const std::string& id) = 0;
  virtual std::optional<User> find_user_by_username(const std::string& username) = 0;
  virtual std::vector<User> list_users(bool include_guests) = 0;
  virtual bool set_disabled(const std::string& id, bool disabled) = 0;
  virtual bool set_password_hash(const std::string& id, const std::string& hash) = 0;
  virtual bool set_display_name(const std::string& id, const std::string& name) = 0;
  // Agents and admins in username order, filtered; guests and customers never.
  virtual std::vector<User> list_staff(const StaffQuery& query) = 0;
  // Disables the user unless they are the last enabled admin, in one transaction: two admins
  // disabling each other at once leave one of them enabled.
  virtual DisableOutcome disable_user(const std::string& id) = 0;
  // The user's room limit (0: the configured default); false when no such user.
  virtual bool set_max_rooms(const std::string& id, int max_rooms) = 0;
  // Every user whose max_rooms is set (not 0): id -> limit, for the routing engine.
  virtual std::vector<std::pair<std::string, int>> room_limits() = 0;

  // The user-administration audit log. append returns the entry's id; query reads the newest
  // first, only ids below `before_id` (0: from the newest), at most `limit`.
  virtual std::int64_t append_user_audit(const UserAuditEntry& entry) = 0;
  virtual std::vector<UserAuditEntry> query_user_audit(std::int64_t before_id,
                                                       std::size_t limit) = 0;

  // Refresh tokens.
  virtual void insert_refresh_token(const RefreshToken& token) = 0;
  virtual std::optional<RefreshToken> find_refresh_token(const std::string& token_hash) = 0;
  // Atomically marks `old_hash` rotated (at `now`) and stores `next` (same family), unless the old
  // token is unknown, revoked or expired at `now`, or was already rotated more than `reuse_grace`
  // seconds ago (kReused). Within the grace a second rotation is allowed: two tabs of one browser
  // refreshing at the same moment is not theft.
  virtual RotateOutcome rotate_refresh_token(const std::string& old_hash, const RefreshToken& next,
                                             std::int64_t now, std::int64_t reuse_grace) = 0;
  virtual void revoke_family(const std::string& family_id) = 0;
  virtual void revoke_all_refresh_tokens(const std::string& user_id) = 0;

  // Revoked access tokens, by jti, kept until the token would have expired anyway.
  virtual void deny_access_token(const std::string& jti, std::int64_t expires_at) = 0;
  virtual std::vector<std::string> denied_access_tokens(std::int64_t now) = 0;

  // Revoked logins (refresh-token families): every access token issued under one (its `sid`) is
  // refused until `expires_at`, when the last of them expires anyway.
  virtual void deny_family(const std::string& family_id, std::int64_t expires_at,
                           const std::string& reason) = 0;
  // Revokes every refresh token of the user and denies all of their families until `expires_at`
  // (a disabled user, a changed password), in one transaction; returns how many families.
  virtual std::size_t deny_families_of_user(const std::string& user_id, std::int64_t expires_at,
                                            const std::string& reason) = 0;
  virtual std::vector<RevokedLogin> denied_families(std::int64_t now) = 0;

  // Erasure of a customer's account: denies every login of theirs until `expires_at` (so their
  // open sessions end, told `reason`), then deletes the user and their refresh tokens, in one
  // transaction. False when there is no such user. Only logins' random ids stay, in the deny list.
  virtual bool erase_user(const std::string& id, std::int64_t expires_at,
                          const std::string& reason) = 0;

  // Drops expired refresh tokens and deny-list entries; returns how many rows went.
  virtual std::size_t purge_expired(std::int64_t now) = 0;
};

}  // namespace aicc::auth
