#include "store/postgres/postgres_user_store.hpp"

#include <array>
#include <stdexcept>

namespace aicc::store::postgres {
namespace {

using auth::RefreshToken;
using auth::RotateOutcome;
using auth::User;

constexpr std::string_view kUserComponent = "auth";

// The schema, one step per released change. Never edit a released step: add the next one.
constexpr std::array kUserMigrations = {
    Migration{1, "users, refresh tokens, revoked access tokens and revoked logins", R"sql(
CREATE TABLE users (
  id            BYTEA PRIMARY KEY,
  username      BYTEA UNIQUE,  -- NULL for guests; compared byte for byte
  display_name  BYTEA NOT NULL,
  role          BYTEA NOT NULL CHECK (role IN ('CUSTOMER', 'AGENT', 'ADMIN')),
  password_hash BYTEA NOT NULL,  -- '' for guests
  guest         BOOLEAN NOT NULL,
  disabled      BOOLEAN NOT NULL,
  created_at    BIGINT NOT NULL
);

CREATE TABLE refresh_tokens (
  token_hash BYTEA PRIMARY KEY,  -- hex SHA-256 of the token
  family_id  BYTEA NOT NULL,
  user_id    BYTEA NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  issued_at  BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  rotated    BOOLEAN NOT NULL,
  rotated_at BIGINT NOT NULL,  -- first rotation; 0 while unused
  revoked    BOOLEAN NOT NULL
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);
CREATE INDEX refresh_tokens_expiry ON refresh_tokens (expires_at);

CREATE TABLE revoked_jtis (
  jti        BYTEA PRIMARY KEY,
  expires_at BIGINT NOT NULL  -- when the access token expires anyway
);

CREATE TABLE revoked_families (
  family_id  BYTEA PRIMARY KEY,
  expires_at BIGINT NOT NULL,  -- when the last access token the family issued expires anyway
  reason     BYTEA NOT NULL    -- why, as its sessions are told ("account disabled", ...)
);
)sql"},
    Migration{2, "agents' room limits and the user-administration audit log", R"sql(
ALTER TABLE users ADD COLUMN max_rooms INTEGER NOT NULL DEFAULT 0;  -- 0: the configured default
CREATE INDEX users_staff ON users (role, username);
-- The few agents with a limit of their own, read whole when a node takes the routing authority.
CREATE INDEX users_room_limits ON users (id) WHERE max_rooms <> 0;

CREATE TABLE user_audit (
  id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,  -- never reused
  at              BIGINT NOT NULL,                                  -- unix milliseconds
  actor_id        BYTEA NOT NULL,
  actor_name      BYTEA NOT NULL,
  action          BYTEA NOT NULL,
  target_id       BYTEA NOT NULL,
  target_username BYTEA NOT NULL,
  detail          BYTEA NOT NULL,
  request_id      BYTEA NOT NULL
);
)sql"},
};

// read_user() reads the columns in this order.
constexpr std::string_view kSelectUserById =
    "SELECT id, username, display_name, role, password_hash, guest, disabled, created_at, "
    "max_rooms "
    "FROM users WHERE id = $1";
constexpr std::string_view kSelectUserByUsername =
    "SELECT id, username, display_name, role, password_hash, guest, disabled, created_at, "
    "max_rooms "
    "FROM users WHERE username = $1";
constexpr std::string_view kListUsers =
    "SELECT id, username, display_name, role, password_hash, guest, disabled, created_at, "
    "max_rooms "
    "FROM users WHERE $1 OR NOT guest ORDER BY created_at, id";

// read_token() reads the columns in this order.
constexpr std::string_view kSelectToken =
    "SELECT token_hash, family_id, user_id, issued_at, expires_at, rotated, rotated_at, revoked "
    "FROM refresh_tokens WHERE token_hash = $1";
constexpr std::string_view kSelectTokenForUpdate =
    "SELECT token_hash, family_id, user_id, issued_at, expires_at, rotated, rotated_at, revoked "
    "FROM refresh_tokens WHERE token_hash = $1 FOR UPDATE";

User read_user(const Rows& rows, int row) {
  User user;
  user.id = rows.text(row, 0);
  user.username = rows.text(row, 1);  // NULL (a guest) reads as ""
  user.display_name = rows.text(row, 2);
  const std::string role = rows.text(row, 3);
  const auto parsed = auth::parse_role(role);
  // The CHECK constraint keeps other values out; only a hand-edited table gets here.
  if (!parsed) throw std::runtime_error("users row " + user.id + " has an unknown role: " + role);
  user.role = *parsed;
  user.password_hash = rows.text(row, 4);
  user.guest = rows.boolean(row, 5);
  user.disabled = rows.boolean(row, 6);
  user.created_at = rows.integer(row, 7);
  user.max_rooms = static_cast<int>(rows.integer(row, 8));
  return user;
}

RefreshToken read_token(const Rows& rows, int row) {
  RefreshToken token;
  token.token_hash = rows.text(row, 0);
  token.family_id = rows.text(row, 1);
  token.user_id = rows.text(row, 2);
  token.issued_at = rows.integer(row, 3);
  token.expires_at = rows.integer(row, 4);
  token.rotated = rows.boolean(row, 5);
  token.rotated_at = rows.integer(row, 6);
  token.revoked = rows.boolean(row, 7);
  return token;
}

void insert_token(Connection& db, const RefreshToken& token) {
  db.query(
        "INSERT INTO refresh_tokens (token_hash, family_id, user_id, issued_at, expires_at, "
        "rotated, rotated_at, revoked) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        "store a refresh token")
      .text(token.token_hash)
      .text(token.family_id)
      .text(token.user_id)
      .integer(token.issued_at)
      .integer(token.expires_at)
      .boolean(token.rotated)
      .integer(token.rotated_at)
      .boolean(token.revoked)
      .run();
}

void insert_denied_family(Connection& db, const std::string& family_id, std::int64_t expires_at,
                          const std::string& reason) {
  // Denying twice keeps the later expiry and the first reason.
  db.query(
        "INSERT INTO revoked_families (family_id, expires_at, reason) VALUES ($1, $2, $3) ON "
        "CONFLICT (family_id) DO UPDATE SET expires_at = "
        "greatest(revoked_families.expires_at, excluded.expires_at)",
        "deny the access tokens of a login")
      .text(family_id)
      .integer(expires_at)
      .text(reason)
      .run();
}

// Denies every login (refresh-token family) of the user until `expires_at`, locking their tokens
// first; inside the caller's transaction. Returns how many.
std::size_t deny_logins_of(Connection& db, const std::string& user_id, std::int64_t expires_at,
                           const std::string& reason) {
  const Rows rows = db.query(
                          "SELECT DISTINCT family_id FROM (SELECT family_id FROM refresh_tokens "
                          "WHERE user_id = $1 FOR UPDATE) AS locked ORDER BY family_id",
                          "read the logins of a user")
                        .text(user_id)
                        .run();
  for (int i = 0; i < rows.size(); ++i)
    insert_denied_family(db, rows.text(i, 0), expires_at, reason);
  return static_cast<std::size_t>(rows.size());
}

}  // namespace

PostgresUserStore::PostgresUserStore(std::shared_ptr<Pool> pool) : pool_(std::move(pool)) {
  pool_->with([](Connection& db) { db.migrate(kUserComponent, kUserMigrations); });
}

int PostgresUserStore::latest_schema_version() { return static_cast<int>(kUserMigrations.size()); }

int PostgresUserStore::schema_version() {
  return pool_->with([](Connection& db) { return db.schema_version(kUserComponent); });
}

bool PostgresUserStore::create_user(const User& user) {
  return pool_->with([&](Connection& db) {
    // DO NOTHING covers the primary key and the unique username: a taken one inserts no row.
    auto insert = db.query(
        "INSERT INTO users (id, username, display_name, role, password_hash, guest, disabled, "
        "created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
        "create a user");
    insert.text(user.id);
    if (user.username.empty()) {
      insert.null_text();
    } else {
      insert.text(user.username);
    }
    return insert.text(user.display_name)
               .text(auth::to_string(user.role))
               .text(user.password_hash)
               .boolean(user.guest)
               .boolean(user.disabled)
               .integer(user.created_at)
               .run()
               .affected() == 1;
  });
}

std::optional<User> PostgresUserStore::find_user(const std::string& id) {
  return pool_->with([&](Connection& db) -> std::optional<User> {
    const Rows rows = db.query(kSelectUserById, "find a user by id").text(id).run();
    if (rows.empty()) return std::nullopt;
    return read_user(rows, 0);
  });
}

std::optional<User> PostgresUserStore::find_user_by_username(const std::string& username) {
  if (username.empty()) return std::nullopt;  // guests have none
  return pool_->with([&](Connection& db) -> std::optional<User> {
    const Rows rows =
        db.query(kSelectUserByUsername, "find a user by username").text(username).run();
    if (rows.empty()) return std::nullopt;
    return read_user(rows, 0);
  });
}

std::vector<User> PostgresUserStore::list_users(bool include_guests) {
  return pool_->with([&](Connection& db) {
    const Rows rows = db.query(kListUsers, "list users").boolean(include_guests).run();
    std::vector<User> users;
    users.reserve(static_cast<std::size_t>(rows.size()));
    for (int i = 0; i < rows.size(); ++i) users.push_back(read_user(rows, i));
    return users;
  });
}

bool PostgresUserStore::set_disabled(const std::string& id, bool disabled) {
  return pool_->with([&](Connection& db) {
    return db.query("UPDATE users SET disabled = $2 WHERE id = $1", "disable or enable a user")
               .text(id)
               .boolean(disabled)
               .run()
               .affected() == 1;
  });
}

bool PostgresUserStore::set_password_hash(const std::string& id, const std::string& hash) {
  return pool_->with([&](Connection& db) {
    return db.query("UPDATE users SET password_hash = $2 WHERE id = $1", "change a password")
               .text(id)
               .text(hash)
               .run()
               .affected() == 1;
  });
}

bool PostgresUserStore::set_display_name(const std::string& id, const std::string& name) {
  return pool_->with([&](Connection& db) {
    return db.query("UPDATE users SET display_name = $2 WHERE id = $1", "change a display name")
               .text(id)
               .text(name)
               .run()
               .affected() == 1;
  });
}

std::vector<User> PostgresUserStore::list_staff(const auth::StaffQuery& query) {
  return pool_->with([&](Connection& db) {
    // $2: the role, or empty for both; $3: 0 or 1 for disabled, -1 for both.
    const Rows rows =
        db.query(
              "SELECT id, username, display_name, role, password_hash, guest, disabled, "
              "created_at, max_rooms FROM users WHERE NOT guest AND role IN ('AGENT', 'ADMIN') "
              "AND username > $1 AND ($2 = ''::bytea OR role = $2) AND ($3 < 0 OR disabled = "
              "($3 = 1)) ORDER BY username LIMIT $4",
              "list staff")
            .text(query.after_username)
            .text(query.role ? auth::to_string(*query.role) : std::string_view())
            .integer(query.disabled ? (*query.disabled ? 1 : 0) : -1)
            .integer(static_cast<std::int64_t>(query.limit))
            .run();
    std::vector<User> users;
    for (int i = 0; i < rows.size(); ++i) users.push_back(read_user(rows, i));
    return users;
  });
}

auth::DisableOutcome PostgresUserStore::disable_user(const std::string& id) {
  return pool_->with([&](Connection& db) {
    Transaction transaction(db);
    const Rows target =
        db.query("SELECT role FROM users WHERE id = $1 FOR UPDATE", "read a user's role")
            .text(id)
            .run();
    if (target.empty()) return auth::DisableOutcome::kNotFound;
    if (target.text(0, 0) == "ADMIN") {
      // Locks every enabled admin: a second admin being disabled at the same time waits here,
      // then reads the first one as disabled (READ COMMITTED re-checks locked rows).
      const Rows others = db.query(
                                "SELECT id FROM users WHERE role = 'ADMIN' AND NOT disabled AND "
                                "id <> $1 FOR UPDATE",
                                "lock the other enabled admins")
                              .text(id)
                              .run();
      if (others.empty()) return auth::DisableOutcome::kLastAdmin;
    }
    db.query("UPDATE users SET disabled = TRUE WHERE id = $1", "disable a user").text(id).run();
    transaction.commit();
    return auth::DisableOutcome::kDisabled;
  });
}

bool PostgresUserStore::set_max_rooms(const std::string& id, int max_rooms) {
  return pool_->with([&](Connection& db) {
    return db.query("UPDATE users SET max_rooms = $2 WHERE id = $1", "set a room limit")
               .text(id)
               .integer(max_rooms)
               .run()
               .affected() == 1;
  });
}

std::vector<std::pair<std::string, int>> PostgresUserStore::room_limits() {
  return pool_->with([&](Connection& db) {
    const Rows rows = db.query("SELECT id, max_rooms FROM users WHERE max_rooms <> 0 ORDER BY id",
                               "read the room limits")
                          .run();
    std::vector<std::pair<std::string, int>> limits;
    for (int i = 0; i < rows.size(); ++i)
      limits.emplace_back(rows.text(i, 0), static_cast<int>(rows.integer(i, 1)));
    return limits;
  });
}

std::int64_t PostgresUserStore::append_user_audit(const auth::UserAuditEntry& entry) {
  return pool_->with([&](Connection& db) {
    const Rows rows =
        db.query(
              "INSERT INTO user_audit (at, actor_id, actor_name, action, target_id, "
              "target_username, detail, request_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
              "RETURNING id",
              "append to the user audit log")
            .integer(entry.at)
            .text(entry.actor_id)
            .text(entry.actor_name)
            .text(entry.action)
            .text(entry.target_id)
            .text(entry.target_username)
            .text(entry.detail)
            .text(entry.request_id)
            .run();
    return rows.integer(0, 0);
  });
}

std::vector<auth::UserAuditEntry> PostgresUserStore::query_user_audit(std::int64_t before_id,
                                                                      std::size_t limit) {
  return pool_->with([&](Connection& db) {
    const Rows rows = db.query(
                            "SELECT id, at, actor_id, actor_name, action, target_id, "
                            "target_username, detail, request_id FROM user_audit WHERE $1 = 0 "
                            "OR id < $1 ORDER BY id DESC LIMIT $2",
                            "read the user audit log")
                          .integer(before_id)
                          .integer(static_cast<std::int64_t>(limit))
                          .run();
    std::vector<auth::UserAuditEntry> entries;
    for (int i = 0; i < rows.size(); ++i) {
      auth::UserAuditEntry& e = entries.emplace_back();
      e.id = rows.integer(i, 0);
      e.at = rows.integer(i, 1);
      e.actor_id = rows.text(i, 2);
      e.actor_name = rows.text(i, 3);
      e.action = rows.text(i, 4);
      e.target_id = rows.text(i, 5);
      e.target_username = rows.text(i, 6);
      e.detail = rows.text(i, 7);
      e.request_id = rows.text(i, 8);
    }
    return entries;
  });
}

void PostgresUserStore::insert_refresh_token(const RefreshToken& token) {
  pool_->with([&](Connection& db) { insert_token(db, token); });
}

std::optional<RefreshToken> PostgresUserStore::find_refresh_token(const std::string& token_hash) {
  return pool_->with([&](Connection& db) -> std::optional<RefreshToken> {
    const Rows rows = db.query(kSelectToken, "find a refresh token").text(token_hash).run();
    if (rows.empty()) return std::nullopt;
    return read_token(rows, 0);
  });
}

RotateOutcome PostgresUserStore::rotate_refresh_token(const std::string& old_hash,
                                                      const RefreshToken& next, std::int64_t now,
                                                      std::int64_t reuse_grace) {
  return pool_->with([&](Connection& db) {
    Transaction transaction(db);
    // FOR UPDATE: a second node presenting the same token waits here until this one committed,
    // then reads it rotated.
    const Rows rows =
        db.query(kSelectTokenForUpdate, "find a refresh token to rotate").text(old_hash).run();
    if (rows.empty()) return RotateOutcome::kUnknown;
    const RefreshToken old = read_token(rows, 0);
    if (old.revoked) return RotateOutcome::kRevoked;
    if (old.expires_at <= now) return RotateOutcome::kExpired;
    if (old.rotated && now - old.rotated_at > reuse_grace) return RotateOutcome::kReused;
    // Within the grace the token rotates again, but keeps the time of its first rotation.
    db.query(
          "UPDATE refresh_tokens SET rotated = TRUE, "
          "rotated_at = CASE WHEN rotated THEN rotated_at ELSE $2 END WHERE token_hash = $1",
          "mark a refresh token rotated")
        .text(old_hash)
        .integer(now)
        .run();
    insert_token(db, next);
    transaction.commit();
    return RotateOutcome::kRotated;
  });
}

void PostgresUserStore::revoke_family(const std::string& family_id) {
  pool_->with([&](Connection& db) {
    db.query("UPDATE refresh_tokens SET revoked = TRUE WHERE family_id = $1",
             "revoke a refresh token family")
        .text(family_id)
        .run();
  });
}

void PostgresUserStore::revoke_all_refresh_tokens(const std::string& user_id) {
  pool_->with([&](Connection& db) {
    db.query("UPDATE refresh_tokens SET revoked = TRUE WHERE user_id = $1",
             "revoke every refresh token of a user")
        .text(user_id)
        .run();
  });
}

void PostgresUserStore::deny_access_token(const std::string& jti, std::int64_t expires_at) {
  pool_->with([&](Connection& db) {
    // Denying twice keeps the later expiry: an entry must never go before its token.
    db.query(
          "INSERT INTO revoked_jtis (jti, expires_at) VALUES ($1, $2) ON CONFLICT (jti) DO "
          "UPDATE SET expires_at = greatest(revoked_jtis.expires_at, excluded.expires_at)",
          "deny an access token")
        .text(jti)
        .integer(expires_at)
        .run();
  });
}

std::vector<std::string> PostgresUserStore::denied_access_tokens(std::int64_t now) {
  return pool_->with([&](Connection& db) {
    const Rows rows = db.query("SELECT jti FROM revoked_jtis WHERE expires_at > $1 ORDER BY jti",
                               "read the access token deny-list")
                          .integer(now)
                          .run();
    std::vector<std::string> jtis;
    for (int i = 0; i < rows.size(); ++i) jtis.push_back(rows.text(i, 0));
    return jtis;
  });
}

void PostgresUserStore::deny_family(const std::string& family_id, std::int64_t expires_at,
                                    const std::string& reason) {
  pool_->with([&](Connection& db) { insert_denied_family(db, family_id, expires_at, reason); });
}

std::size_t PostgresUserStore::deny_families_of_user(const std::string& user_id,
                                                     std::int64_t expires_at,
                                                     const std::string& reason) {
  return pool_->with([&](Connection& db) {
    Transaction transaction(db);
    // Locks the user's tokens first, so that a rotation running meanwhile either finished (its
    // new token is revoked here) or waits and then finds its token revoked.
    const std::size_t families = deny_logins_of(db, user_id, expires_at, reason);
    db.query("UPDATE refresh_tokens SET revoked = TRUE WHERE user_id = $1",
             "revoke every refresh token of a user")
        .text(user_id)
        .run();
    transaction.commit();
    return families;
  });
}

bool PostgresUserStore::erase_user(const std::string& id, std::int64_t expires_at,
                                   const std::string& reason) {
  return pool_->with([&](Connection& db) {
    Transaction transaction(db);
    deny_logins_of(db, id, expires_at, reason);
    db.query("DELETE FROM refresh_tokens WHERE user_id = $1", "delete a user's refresh tokens")
        .text(id)
        .run();
    // What `aicc-chat user` did to the account (the page manages staff only) goes with it.
    db.query("DELETE FROM user_audit WHERE target_id = $1 OR actor_id = $1",
             "delete the user log's entries about a user")
        .text(id)
        .run();
    const bool erased =
        db.query("DELETE FROM users WHERE id = $1", "delete a user").text(id).run().affected() == 1;
    transaction.commit();
    return erased;
  });
}

std::vector<auth::RevokedLogin> PostgresUserStore::denied_families(std::int64_t now) {
  return pool_->with([&](Connection& db) {
    const Rows rows = db.query(
                            "SELECT family_id, reason FROM revoked_families WHERE expires_at > $1 "
                            "ORDER BY family_id",
                            "read the revoked logins")
                          .integer(now)
                          .run();
    std::vector<auth::RevokedLogin> families;
    for (int i = 0; i < rows.size(); ++i) families.push_back({rows.text(i, 0), rows.text(i, 1)});
    return families;
  });
}

std::size_t PostgresUserStore::purge_expired(std::int64_t now) {
  return pool_->with([&](Connection& db) {
    Transaction transaction(db);
    std::int64_t removed = 0;
    removed += db.query("DELETE FROM refresh_tokens WHERE expires_at <= $1",
                        "delete expired refresh tokens")
                   .integer(now)
                   .run()
                   .affected();
    removed += db.query("DELETE FROM revoked_jtis WHERE expires_at <= $1",
                        "delete expired deny-list entries")
                   .integer(now)
                   .run()
                   .affected();
    removed += db.query("DELETE FROM revoked_families WHERE expires_at <= $1",
                        "delete expired revoked logins")
                   .integer(now)
                   .run()
                   .affected();
    transaction.commit();
    return static_cast<std::size_t>(removed);
  });
}

}  // namespace aicc::store::postgres
