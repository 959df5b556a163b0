// The SQLite adapter of auth::UserStore: users, refresh tokens and the access-token deny-list in
// one database file (or in memory, for tests).
//
// Tables (schema "auth", see the migrations in the .cpp):
//   users           id PK, username UNIQUE (NULL for guests), display_name, role, password_hash,
//                   guest, disabled, created_at, max_rooms (0: the default)
//   refresh_tokens  token_hash PK, family_id, user_id -> users, issued_at, expires_at, rotated,
//                   rotated_at, revoked; indexed by family_id, user_id and expires_at
//   revoked_jtis    jti PK, expires_at
//   revoked_families family_id PK, expires_at, reason (the access tokens of a revoked login)
//   user_audit       id (increasing), at (unix ms), actor_id, actor_name, action, target_id,
//                    target_username, detail, request_id
//
// Contract details the port leaves open, which every adapter must share (the contract tests check
// them):
// - usernames compare case-sensitively and byte for byte: "Alice" and "alice" are two users.
// Folding
//   case is a policy for the code that creates accounts, not for the store;
// - an empty username means none: it is stored as NULL, so any number of guests can exist, and
//   find_user_by_username("") finds nobody;
// - a token or deny-list entry is expired when expires_at <= now;
// - rotation inserts `next` as given (the caller keeps it in the old token's family).
//
// Thread-safety: one connection, and every call holds one mutex for its whole duration. SQLite
// allows one writer at a time anyway, the calls are short (indexed lookups, small transactions) and
// they come from a small blocking worker pool, so a pool of reader connections would buy little for
// its complexity. Several processes may share the file: writes take SQLite's write lock up front
// (BEGIN IMMEDIATE) and wait up to 5 s for it.
#pragma once

#include <mutex>
#include <string>

#include "auth/user_store.hpp"
#include "store/sqlite/database.hpp"

namespace aicc::store::sqlite {

class SqliteUserStore final : public auth::UserStore {
 public:
  // Opens or creates the database at `path` (":memory:" for a private in-memory one) and brings
  // its schema up to date. Throws std::runtime_error when the file cannot be used, including when
  // a newer version of the program has already upgraded its schema.
  explicit SqliteUserStore(const std::string& path);

  bool create_user(const auth::User& user) override;
  std::optional<auth::User> find_user(const std::string& id) override;
  std::optional<auth::User> find_user_by_username(const std::string& username) override;
  std::vector<auth::User> list_users(bool include_guests) override;
  bool set_disabled(const std::string& id, bool disabled) override;
  bool set_password_hash(const std::string& id, const std::string& hash) override;
  bool set_display_name(const std::string& id, const std::string& name) override;
  std::vector<auth::User> list_staff(const auth::StaffQuery& query) override;
  auth::DisableOutcome disable_user(const std::string& id) override;
  bool set_max_rooms(const std::string& id, int max_rooms) override;
  std::vector<std::pair<std::string, int>> room_limits() override;
  std::int64_t append_user_audit(const auth::UserAuditEntry& entry) override;
  std::vector<auth::UserAuditEntry> query_user_audit(std::int64_t before_id,
                                                     std::size_t limit) override;

  void insert_refresh_token(const auth::RefreshToken& token) override;
  std::optional<auth::RefreshToken> find_refresh_token(const std::string& token_hash) override;
  auth::RotateOutcome rotate_refresh_token(const std::string& old_hash,
                                           const auth::RefreshToken& next, std::int64_t now,
                                           std::int64_t reuse_grace) override;
  void revoke_family(const std::string& family_id) override;
  void revoke_all_refresh_tokens(const std::string& user_id) override;

  void deny_access_token(const std::string& jti, std::int64_t expires_at) override;
  std::vector<std::string> denied_access_tokens(std::int64_t now) override;
  void deny_family(const std::string& family_id, std::int64_t expires_at,
                   const std::string& reason) override;
  std::size_t deny_families_of_user(const std::string& user_id, std::int64_t expires_at,
                                    const std::string& reason) override;
  std::vector<auth::RevokedLogin> denied_families(std::int64_t now) override;
  bool erase_user(const std::string& id, std::int64_t expires_at,
                  const std::string& reason) override;

  std::size_t purge_expired(std::int64_t now) override;

  // The schema version this program writes, and the one the database is at.
  static int latest_schema_version();
  int schema_version();

 private:
  void insert_token(const auth::RefreshToken& token);  // the caller holds mutex_
  // Denies every login (refresh-token family) of the user until `expires_at`; the caller holds
  // mutex_ and a transaction. Returns how many.
  std::size_t deny_logins_of(const std::string& user_id, std::int64_t expires_at,
                             const std::string& reason);
  void insert_denied_family(const std::string& family_id, std::int64_t expires_at,
                            const std::string& reason);  // the caller holds mutex_

  std::mutex mutex_;  // one caller at a time on db_
  Database db_;
};

}  // namespace aicc::store::sqlite
