// The PostgreSQL adapter of auth::UserStore: users, refresh tokens and the deny-lists, shared by
// every node of a cluster.
//
// Tables (component "auth", see the migrations in the .cpp) mirror the SQLite adapter's, with
// every string a BYTEA (byte for byte, NULs kept) and times BIGINT unix seconds:
//   users            id PK, username UNIQUE (NULL for guests), display_name, role, password_hash,
//                    guest, disabled, created_at, max_rooms (0: the default)
//   refresh_tokens   token_hash PK, family_id, user_id -> users, issued_at, expires_at, rotated,
//                    rotated_at, revoked; indexed by family_id, user_id and expires_at
//   revoked_jtis     jti PK, expires_at
//   revoked_families family_id PK, expires_at, reason
//   user_audit       id (increasing), at (unix ms), actor_id, actor_name, action, target_id,
//                    target_username, detail, request_id
//
// The contract details are the SQLite adapter's (store/sqlite/sqlite_user_store.hpp), checked by
// the same contract suite. Decisions that read then write (rotation) lock the row they read
// (SELECT ... FOR UPDATE), so two nodes presenting one token at once cannot both rotate it.
//
// Thread-safe: every call leases its own connection from the pool.
#pragma once

#include <memory>
#include <string>

#include "auth/user_store.hpp"
#include "store/postgres/pool.hpp"

namespace aicc::store::postgres {

class PostgresUserStore final : public auth::UserStore {
 public:
  // Brings the schema up to date on one of the pool's connections (throws when it cannot).
  explicit PostgresUserStore(std::shared_ptr<Pool> pool);

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

  // The version of the schema this program writes, and the one the database holds.
  static int latest_schema_version();
  int schema_version();

 private:
  std::shared_ptr<Pool> pool_;
};

}  // namespace aicc::store::postgres
