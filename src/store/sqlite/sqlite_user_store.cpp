#include "store/sqlite/sqlite_user_store.hpp"

#include <array>
#include <stdexcept>

namespace aicc::store::sqlite {
namespace {

using auth::RefreshToken;
using auth::RotateOutcome;
using auth::User;

constexpr std::string_view kUserComponent = "auth";

// The schema, one step per released change. Never edit a released step: add the next one.
// TEXT PRIMARY KEY columns are NOT NULL explicitly, because SQLite would otherwise accept NULL in
// them. Booleans are 0 or 1, times unix seconds.
constexpr std::array kUserMigrations = {
    Migration{1, "users, refresh tokens and revoked access tokens", R"sql(
CREATE TABLE users (
  id            TEXT NOT NULL PRIMARY KEY,
  username      TEXT UNIQUE,  -- NULL for guests; compared byte for byte (BINARY)
  display_name  TEXT NOT NULL,
  role          TEXT NOT NULL CHECK (role IN ('CUSTOMER', 'AGENT', 'ADMIN')),
  password_hash TEXT NOT NULL,  -- '' for guests
  guest         INTEGER NOT NULL CHECK (guest IN (0, 1)),
  disabled      INTEGER NOT NULL CHECK (disabled IN (0, 1)),
  created_at    INTEGER NOT NULL
) STRICT;

CREATE TABLE refresh_tokens (
  token_hash TEXT NOT NULL PRIMARY KEY,  -- hex SHA-256 of the token
  family_id  TEXT NOT NULL,
  user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  issued_at  INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  rotated    INTEGER NOT NULL CHECK (rotated IN (0, 1)),
  rotated_at INTEGER NOT NULL,  -- first rotation; 0 while unused
  revoked    INTEGER NOT NULL CHECK (revoked IN (0, 1))
) STRICT;
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);
CREATE INDEX refresh_tokens_expiry ON refresh_tokens (expires_at);

CREATE TABLE revoked_jtis (
  jti        TEXT NOT NULL PRIMARY KEY,
  expires_at INTEGER NOT NULL  -- when the access token expires anyway
) STRICT;
)sql"},
    Migration{2, "revoked logins (refresh-token families) for the access tokens they issued", R"sql(
CREATE TABLE revoked_families (
  family_id  TEXT NOT NULL PRIMARY KEY,
  expires_at INTEGER NOT NULL,  -- when the last access token the family issued expires anyway
  reason     TEXT NOT NULL     -- why, as its sessions are told ("account disabled", ...)
) STRICT;
)sql"},
    Migration{3, "agents' room limits and the user-administration audit log", R"sql(
ALTER TABLE users ADD COLUMN max_rooms INTEGER NOT NULL DEFAULT 0;  -- 0: the configured default
CREATE INDEX users_staff ON users (role, username);
-- The few agents with a limit of their own, read whole when a node takes the routing authority.
CREATE INDEX users_room_limits ON users (id) WHERE max_rooms <> 0;

CREATE TABLE user_audit (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: paging cursors stay valid
  at              INTEGER NOT NULL,                   -- unix milliseconds
  actor_id        TEXT NOT NULL,
  actor_name      TEXT NOT NULL,
  action          TEXT NOT NULL,
  target_id       TEXT NOT NULL,
  target_username TEXT NOT NULL,
  detail          TEXT NOT NULL,
  request_id      TEXT NOT NULL
) STRICT;
)sql"},
};

// read_user() reads the columns in this order.
constexpr std::string_view kSelectUserById =
    "SELECT id, username, display_name, role, password_hash, guest, disabled, created_at, "
    "max_rooms "
    "FROM users WHERE id = ?1";
constexpr std::string_view kSelectUserByUsername =
    "SELECT id, username, display_name, role, password_hash, guest, disabled, created_at, "
    "max_rooms "
    "FROM users WHERE username = ?1";
constexpr std::string_view kListUsers =
    "SELECT id, username, display_name, role, password_hash, guest, disabled, created_at, "
    "max_rooms "
    "FROM users WHERE ?1 OR guest = 0 ORDER BY created_at, id";

// read_token() reads the columns in this order.
constexpr std::string_view kSelectToken =
    "SELECT token_hash, family_id, user_id, issued_at, expires_at, rotated, rotated_at, revoked "
    "FROM refresh_tokens WHERE token_hash = ?1";

User read_user(const Statement& row) {
  User user;
  user.id = row.column_text(0);
  user.username = row.column_text(1);  // NULL (a guest) reads as ""
  user.display_name = row.column_text(2);
  const std::string role = row.column_text(3);
  const auto parsed = auth::parse_role(role);
  // The CHECK constraint keeps other values out; only a hand-edited file gets here.
  if (!parsed) throw std::runtime_error("users row " + user.id + " has an unknown role: " + role);
  user.role = *parsed;
  user.password_hash = row.column_text(4);
  user.guest = row.column_bool(5);
  user.disabled = row.column_bool(6);
  user.created_at = row.column_int(7);
  user.max_rooms = static_cast<int>(row.column_int(8));
  return user;
}

RefreshToken read_token(const Statement& row) {
  RefreshToken token;
  token.token_hash = row.column_text(0);
  token.family_id = row.column_text(1);
  token.user_id = row.column_text(2);
  token.issued_at = row.column_int(3);
  token.expires_at = row.column_int(4);
  token.rotated = row.column_bool(5);
  token.rotated_at = row.column_int(6);
  token.revoked = row.column_bool(7);
  return token;
}

}  // namespace

SqliteUserStore::SqliteUserStore(const std::string& path) : db_(path) {
  db_.migrate(kUserComponent, kUserMigrations);
}

int SqliteUserStore::latest_schema_version() { return static_cast<int>(kUserMigrations.size()); }

int SqliteUserStore::schema_version() {
  std::lock_guard lock(mutex_);
  return db_.schema_version(kUserComponent);
}

bool SqliteUserStore::create_user(const User& user) {
  std::lock_guard lock(mutex_);
  // DO NOTHING covers the primary key and the unique username: a taken one inserts no row.
  auto insert = db_.prepare(
      "INSERT INTO users (id, username, display_name, role, password_hash, guest, disabled, "
      "created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT DO NOTHING",
      "create a user");
  insert.bind_text(1, user.id);
  if (user.username.empty()) {
    insert.bind_null(2);
  } else {
    insert.bind_text(2, user.username);
  }
  insert.bind_text(3, user.display_name)
      .bind_text(4, auth::to_string(user.role))
      .bind_text(5, user.password_hash)
      .bind_bool(6, user.guest)
      .bind_bool(7, user.disabled)
      .bind_int(8, user.created_at)
      .run();
  return db_.changes() == 1;
}

std::optional<User> SqliteUserStore::find_user(const std::string& id) {
  std::lock_guard lock(mutex_);
  auto select = db_.prepare(kSelectUserById, "find a user by id");
  select.bind_text(1, id);
  if (!select.step()) return std::nullopt;
  return read_user(select);
}

std::optional<User> SqliteUserStore::find_user_by_username(const std::string& username) {
  if (username.empty()) return std::nullopt;  // guests have none
  std::lock_guard lock(mutex_);
  auto select = db_.prepare(kSelectUserByUsername, "find a user by username");
  select.bind_text(1, username);
  if (!select.step()) return std::nullopt;
  return read_user(select);
}

std::vector<User> SqliteUserStore::list_users(bool include_guests) {
  std::lock_guard lock(mutex_);
  auto select = db_.prepare(kListUsers, "list users");
  select.bind_bool(1, include_guests);
  std::vector<User> users;
  while (select.step()) users.push_back(read_user(select));
  return users;
}

bool SqliteUserStore::set_disabled(const std::string& id, bool disabled) {
  std::lock_guard lock(mutex_);
  db_.prepare("UPDATE users SET disabled = ?2 WHERE id = ?1", "disable or enable a user")
      .bind_text(1, id)
      .bind_bool(2, disabled)
      .run();
  return db_.changes() == 1;
}

bool SqliteUserStore::set_password_hash(const std::string& id, const std::string& hash) {
  std::lock_guard lock(mutex_);
  db_.prepare("UPDATE users SET password_hash = ?2 WHERE id = ?1", "change a password")
      .bind_text(1, id)
      .bind_text(2, hash)
      .run();
  return db_.changes() == 1;
}

bool SqliteUserStore::set_display_name(const std::string& id, const std::string& name) {
  std::lock_guard lock(mutex_);
  db_.prepare("UPDATE users SET display_name = ?2 WHERE id = ?1", "change a display name")
      .bind_text(1, id)
      .bind_text(2, name)
      .run();
  return db_.changes() == 1;
}

std::vector<User> SqliteUserStore::list_staff(const auth::StaffQuery& query) {
  std::lock_guard lock(mutex_);
  // ?1/?2: role filter or NULL; ?3: disabled filter or NULL.
  auto select = db_.prepare(
      "SELECT id, username, display_name, role, password_hash, guest, disabled, created_at, "
      "max_rooms FROM users WHERE guest = 0 AND role IN ('AGENT', 'ADMIN') "
      "AND (?1 IS NULL OR role = ?1) AND (?2 IS NULL OR disabled = ?2) AND username > ?3 "
      "ORDER BY username LIMIT ?4",
      "list staff");
  if (query.role) {
    select.bind_text(1, auth::to_string(*query.role));
  } else {
    select.bind_null(1);
  }
  if (query.disabled) {
    select.bind_bool(2, *query.disabled);
  } else {
    select.bind_null(2);
  }
  select.bind_text(3, query.after_username).bind_int(4, static_cast<std::int64_t>(query.limit));
  std::vector<User> users;
  while (select.step()) users.push_back(read_user(select));
  return users;
}

auth::DisableOutcome SqliteUserStore::disable_user(const std::string& id) {
  std::lock_guard lock(mutex_);
  Transaction transaction(db_);  // BEGIN IMMEDIATE: another process's change waits for this one
  std::string role;
  {
    auto select = db_.prepare("SELECT role FROM users WHERE id = ?1", "read a user's role");
    select.bind_text(1, id);
    if (!select.step()) return auth::DisableOutcome::kNotFound;
    role = select.column_text(0);
  }
  if (role == "ADMIN") {
    auto others =
        db_.prepare("SELECT count(*) FROM users WHERE role = 'ADMIN' AND disabled = 0 AND id <> ?1",
                    "count the other enabled admins");
    others.bind_text(1, id);
    others.step();
    if (others.column_int(0) == 0) return auth::DisableOutcome::kLastAdmin;
  }
  db_.prepare("UPDATE users SET disabled = 1 WHERE id = ?1", "disable a user")
      .bind_text(1, id)
      .run();
  transaction.commit();
  return auth::DisableOutcome::kDisabled;
}

bool SqliteUserStore::set_max_rooms(const std::string& id, int max_rooms) {
  std::lock_guard lock(mutex_);
  db_.prepare("UPDATE users SET max_rooms = ?2 WHERE id = ?1", "set a room limit")
      .bind_text(1, id)
      .bind_int(2, max_rooms)
      .run();
  return db_.changes() == 1;
}

std::vector<std::pair<std::string, int>> SqliteUserStore::room_limits() {
  std::lock_guard lock(mutex_);
  auto select = db_.prepare("SELECT id, max_rooms FROM users WHERE max_rooms <> 0 ORDER BY id",
                            "read the room limits");
  std::vector<std::pair<std::string, int>> limits;
  while (select.step())
    limits.emplace_back(select.column_text(0), static_cast<int>(select.column_int(1)));
  return limits;
}

std::int64_t SqliteUserStore::append_user_audit(const auth::UserAuditEntry& entry) {
  std::lock_guard lock(mutex_);
  auto insert = db_.prepare(
      "INSERT INTO user_audit (at, actor_id, actor_name, action, target_id, target_username, "
      "detail, request_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) RETURNING id",
      "append to the user audit log");
  insert.bind_int(1, entry.at)
      .bind_text(2, entry.actor_id)
      .bind_text(3, entry.actor_name)
      .bind_text(4, entry.action)
      .bind_text(5, entry.target_id)
      .bind_text(6, entry.target_username)
      .bind_text(7, entry.detail)
      .bind_text(8, entry.request_id);
  if (!insert.step()) throw std::runtime_error("SQLite user store: audit insert returned no id");
  const std::int64_t id = insert.column_int(0);
  insert.run();  // finishes the statement
  return id;
}

std::vector<auth::UserAuditEntry> SqliteUserStore::query_user_audit(std::int64_t before_id,
                                                                    std::size_t limit) {
  std::lock_guard lock(mutex_);
  auto select = db_.prepare(
      "SELECT id, at, actor_id, actor_name, action, target_id, target_username, detail, "
      "request_id FROM user_audit WHERE ?1 = 0 OR id < ?1 ORDER BY id DESC LIMIT ?2",
      "read the user audit log");
  select.bind_int(1, before_id).bind_int(2, static_cast<std::int64_t>(limit));
  std::vector<auth::UserAuditEntry> entries;
  while (select.step()) {
    auth::UserAuditEntry& e = entries.emplace_back();
    e.id = select.column_int(0);
    e.at = select.column_int(1);
    e.actor_id = select.column_text(2);
    e.actor_name = select.column_text(3);
    e.action = select.column_text(4);
    e.target_id = select.column_text(5);
    e.target_username = select.column_text(6);
    e.detail = select.column_text(7);
    e.request_id = select.column_text(8);
  }
  return entries;
}

void SqliteUserStore::insert_token(const RefreshToken& token) {
  db_.prepare(
         "INSERT INTO refresh_tokens (token_hash, family_id, user_id, issued_at, expires_at, "
         "rotated, rotated_at, revoked) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
         "store a refresh token")
      .bind_text(1, token.token_hash)
      .bind_text(2, token.family_id)
      .bind_text(3, token.user_id)
      .bind_int(4, token.issued_at)
      .bind_int(5, token.expires_at)
      .bind_bool(6, token.rotated)
      .bind_int(7, token.rotated_at)
      .bind_bool(8, token.revoked)
      .run();
}

void SqliteUserStore::insert_refresh_token(const RefreshToken& token) {
  std::lock_guard lock(mutex_);
  insert_token(token);
}

std::optional<RefreshToken> SqliteUserStore::find_refresh_token(const std::string& token_hash) {
  std::lock_guard lock(mutex_);
  auto select = db_.prepare(kSelectToken, "find a refresh token");
  select.bind_text(1, token_hash);
  if (!select.step()) return std::nullopt;
  return read_token(select);
}

RotateOutcome SqliteUserStore::rotate_refresh_token(const std::string& old_hash,
                                                    const RefreshToken& next, std::int64_t now,
                                                    std::int64_t reuse_grace) {
  std::lock_guard lock(mutex_);
  // IMMEDIATE: the write lock is held from the read on, so two servers presenting the same token
  // at once cannot both see it unrotated.
  Transaction transaction(db_);
  RefreshToken old;
  {
    auto select = db_.prepare(kSelectToken, "find a refresh token");
    select.bind_text(1, old_hash);
    if (!select.step()) return RotateOutcome::kUnknown;
    old = read_token(select);
  }
  if (old.revoked) return RotateOutcome::kRevoked;
  if (old.expires_at <= now) return RotateOutcome::kExpired;
  if (old.rotated && now - old.rotated_at > reuse_grace) return RotateOutcome::kReused;

  // Within the grace the token rotates again, but keeps the time of its first rotation, so the
  // grace cannot be stretched by using the token over and over.
  db_.prepare(
         "UPDATE refresh_tokens SET rotated = 1, "
         "rotated_at = CASE WHEN rotated = 1 THEN rotated_at ELSE ?2 END WHERE token_hash = ?1",
         "mark a refresh token rotated")
      .bind_text(1, old_hash)
      .bind_int(2, now)
      .run();
  insert_token(next);
  transaction.commit();
  return RotateOutcome::kRotated;
}

void SqliteUserStore::revoke_family(const std::string& family_id) {
  std::lock_guard lock(mutex_);
  db_.prepare("UPDATE refresh_tokens SET revoked = 1 WHERE family_id = ?1",
              "revoke a refresh token family")
      .bind_text(1, family_id)
      .run();
}

void SqliteUserStore::revoke_all_refresh_tokens(const std::string& user_id) {
  std::lock_guard lock(mutex_);
  db_.prepare("UPDATE refresh_tokens SET revoked = 1 WHERE user_id = ?1",
              "revoke every refresh token of a user")
      .bind_text(1, user_id)
      .run();
}

void SqliteUserStore::deny_access_token(const std::string& jti, std::int64_t expires_at) {
  std::lock_guard lock(mutex_);
  // Denying twice keeps the later expiry: an entry must never go before its token.
  db_.prepare(
         "INSERT INTO revoked_jtis (jti, expires_at) VALUES (?1, ?2) ON CONFLICT (jti) DO UPDATE "
         "SET expires_at = max(expires_at, excluded.expires_at)",
         "deny an access token")
      .bind_text(1, jti)
      .bind_int(2, expires_at)
      .run();
}

std::vector<std::string> SqliteUserStore::denied_access_tokens(std::int64_t now) {
  std::lock_guard lock(mutex_);
  auto select = db_.prepare("SELECT jti FROM revoked_jtis WHERE expires_at > ?1 ORDER BY jti",
                            "read the access token deny-list");
  select.bind_int(1, now);
  std::vector<std::string> jtis;
  while (select.step()) jtis.push_back(select.column_text(0));
  return jtis;
}

void SqliteUserStore::deny_family(const std::string& family_id, std::int64_t expires_at,
                                  const std::string& reason) {
  std::lock_guard lock(mutex_);
  insert_denied_family(family_id, expires_at, reason);
}

std::size_t SqliteUserStore::deny_families_of_user(const std::string& user_id,
                                                   std::int64_t expires_at,
                                                   const std::string& reason) {
  std::lock_guard lock(mutex_);
  Transaction transaction(db_);
  const std::size_t families = deny_logins_of(user_id, expires_at, reason);
  db_.prepare("UPDATE refresh_tokens SET revoked = 1 WHERE user_id = ?1",
              "revoke every refresh token of a user")
      .bind_text(1, user_id)
      .run();
  transaction.commit();
  return families;
}

bool SqliteUserStore::erase_user(const std::string& id, std::int64_t expires_at,
                                 const std::string& reason) {
  std::lock_guard lock(mutex_);
  Transaction transaction(db_);
  deny_logins_of(id, expires_at, reason);
  db_.prepare("DELETE FROM refresh_tokens WHERE user_id = ?1", "delete a user's refresh tokens")
      .bind_text(1, id)
      .run();
  // What `aicc-chat user` did to the account (the page manages staff only) goes with it.
  db_.prepare("DELETE FROM user_audit WHERE target_id = ?1 OR actor_id = ?1",
              "delete the user log's entries about a user")
      .bind_text(1, id)
      .run();
  db_.prepare("DELETE FROM users WHERE id = ?1", "delete a user").bind_text(1, id).run();
  const bool erased = db_.changes() == 1;
  transaction.commit();
  return erased;
}

std::size_t SqliteUserStore::deny_logins_of(const std::string& user_id, std::int64_t expires_at,
                                            const std::string& reason) {
  std::vector<std::string> families;
  {
    auto select = db_.prepare(
        "SELECT DISTINCT family_id FROM refresh_tokens WHERE user_id = ?1 ORDER BY family_id",
        "read the logins of a user");
    select.bind_text(1, user_id);
    while (select.step()) families.push_back(select.column_text(0));
  }
  for (const std::string& family : families) insert_denied_family(family, expires_at, reason);
  return families.size();
}

void SqliteUserStore::insert_denied_family(const std::string& family_id, std::int64_t expires_at,
                                           const std::string& reason) {
  // Denying twice keeps the later expiry and the first reason.
  db_.prepare(
         "INSERT INTO revoked_families (family_id, expires_at, reason) VALUES (?1, ?2, ?3) ON "
         "CONFLICT (family_id) DO UPDATE SET expires_at = max(expires_at, excluded.expires_at)",
         "deny the access tokens of a login")
      .bind_text(1, family_id)
      .bind_int(2, expires_at)
      .bind_text(3, reason)
      .run();
}

std::vector<auth::RevokedLogin> SqliteUserStore::denied_families(std::int64_t now) {
  std::lock_guard lock(mutex_);
  auto select = db_.prepare(
      "SELECT family_id, reason FROM revoked_families WHERE expires_at > ?1 ORDER BY family_id",
      "read the revoked logins");
  select.bind_int(1, now);
  std::vector<auth::RevokedLogin> families;
  while (select.step()) families.push_back({select.column_text(0), select.column_text(1)});
  return families;
}

std::size_t SqliteUserStore::purge_expired(std::int64_t now) {
  std::lock_guard lock(mutex_);
  Transaction transaction(db_);
  std::int64_t removed = 0;
  db_.prepare("DELETE FROM refresh_tokens WHERE expires_at <= ?1", "delete expired refresh tokens")
      .bind_int(1, now)
      .run();
  removed += db_.changes();
  db_.prepare("DELETE FROM revoked_jtis WHERE expires_at <= ?1", "delete expired deny-list entries")
      .bind_int(1, now)
      .run();
  removed += db_.changes();
  db_.prepare("DELETE FROM revoked_families WHERE expires_at <= ?1",
              "delete expired revoked logins")
      .bind_int(1, now)
      .run();
  removed += db_.changes();
  transaction.commit();
  return static_cast<std::size_t>(removed);
}

}  // namespace aicc::store::sqlite
