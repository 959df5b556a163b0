// The storage port of identity: users, refresh tokens, revoked access tokens and revoked logins.
//
// Adapters (store/sqlite, later store/postgres) implement it with the same contract tests. Calls
// block (disk, network): the server makes them from its blocking worker pool, never from an I/O
// thread. Implementations are thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
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
