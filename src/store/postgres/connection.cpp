#include "store/postgres/connection.hpp"

#include <libpq-fe.h>

#include <cstring>

namespace aicc::store::postgres {
namespace {

// Type OIDs of the parameters (pg_type.h; stable across PostgreSQL versions).
constexpr Oid kBoolOid = 16;
constexpr Oid kByteaOid = 17;
constexpr Oid kInt8Oid = 20;
constexpr Oid kTextOid = 25;

constexpr int kBinary = 1;

constexpr std::string_view kCreateMigrationsTable = R"sql(
CREATE TABLE IF NOT EXISTS schema_migrations (
  component   TEXT NOT NULL,
  version     INTEGER NOT NULL,
  description TEXT NOT NULL,
  applied_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (component, version)
))sql";

std::string big_endian(std::uint64_t value, int bytes) {
  std::string out(static_cast<std::size_t>(bytes), '\0');
  for (int i = bytes - 1; i >= 0; --i) {
    out[static_cast<std::size_t>(i)] = static_cast<char>(value & 0xFF);
    value >>= 8;
  }
  return out;
}

std::uint64_t from_big_endian(const char* bytes, int length) {
  std::uint64_t value = 0;
  for (int i = 0; i < length; ++i) value = (value << 8) | static_cast<unsigned char>(bytes[i]);
  return value;
}

std::string trimmed(const char* message) {
  std::string text = message ? message : "";
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

// The server and database of a connection, for messages: never the password.
std::string where(pg_conn* conn) {
  if (!conn) return "PostgreSQL";
  const char* host = PQhost(conn);
  const char* port = PQport(conn);
  const char* db = PQdb(conn);
  return std::string("PostgreSQL ") + (host ? host : "?") + ":" + (port ? port : "?") + "/" +
         (db ? db : "?");
}

}  // namespace

// Rows

Rows::~Rows() {
  if (result_) PQclear(result_);
}

int Rows::size() const { return result_ ? PQntuples(result_) : 0; }

std::int64_t Rows::affected() const {
  const char* count = result_ ? PQcmdTuples(result_) : "";
  return count && *count ? std::stoll(count) : 0;
}

bool Rows::is_null(int row, int column) const { return PQgetisnull(result_, row, column) != 0; }

const char* Rows::value(int row, int column, int* length) const {
  if (row < 0 || row >= size() || column < 0 || column >= PQnfields(result_)) {
    throw std::out_of_range("row " + std::to_string(row) + ", column " + std::to_string(column) +
                            " is outside the result");
  }
  if (PQgetisnull(result_, row, column)) return nullptr;
  *length = PQgetlength(result_, row, column);
  return PQgetvalue(result_, row, column);
}

std::string Rows::text(int row, int column) const {
  int length = 0;
  const char* bytes = value(row, column, &length);
  return bytes ? std::string(bytes, static_cast<std::size_t>(length)) : std::string();
}

std::int64_t Rows::integer(int row, int column) const {
  int length = 0;
  const char* bytes = value(row, column, &length);
  if (!bytes) return 0;
  if (length != 2 && length != 4 && length != 8) {
    throw std::runtime_error("column " + std::to_string(column) + " is not an integer");
  }
  // Sign-extend from the column's width.
  const std::uint64_t raw = from_big_endian(bytes, length);
  const int shift = 64 - 8 * length;
  return static_cast<std::int64_t>(raw << shift) >> shift;
}

double Rows::real(int row, int column) const {
  int length = 0;
  const char* bytes = value(row, column, &length);
  if (!bytes) return 0;
  if (length != 8)
    throw std::runtime_error("column " + std::to_string(column) + " is not a double");
  const std::uint64_t raw = from_big_endian(bytes, length);
  double out = 0;
  std::memcpy(&out, &raw, sizeof out);
  return out;
}

bool Rows::boolean(int row, int column) const {
  int length = 0;
  const char* bytes = value(row, column, &length);
  return bytes && length == 1 && bytes[0] != 0;
}

// Query

void Query::add(unsigned type, std::string bytes, bool is_null) {
  types_.push_back(type);
  values_.push_back(std::move(bytes));
  nulls_.push_back(is_null);
}

Query& Query::text(std::string_view value) {
  add(kByteaOid, std::string(value), false);
  return *this;
}

Query& Query::label(std::string_view value) {
  add(kTextOid, std::string(value), false);
  return *this;
}

Query& Query::integer(std::int64_t value) {
  add(kInt8Oid, big_endian(static_cast<std::uint64_t>(value), 8), false);
  return *this;
}

Query& Query::boolean(bool value) {
  add(kBoolOid, std::string(1, value ? '\1' : '\0'), false);
  return *this;
}

Query& Query::null_text() {
  add(kByteaOid, std::string(), true);
  return *this;
}

Query& Query::null_integer() {
  add(kInt8Oid, std::string(), true);
  return *this;
}

Rows Query::run() { return connection_.run(*this); }

// Connection

namespace {

// Defaults that a URL may override: a connection attempt, and a connection whose network went
// silent, fail within seconds rather than holding a store call (and the thread making it) for
// as long as TCP retries.
pg_conn* connect_with_defaults(const std::string& url) {
  const char* keywords[] = {
      "connect_timeout",  "keepalives",       "keepalives_idle", "keepalives_interval",
      "keepalives_count", "tcp_user_timeout", "dbname",          nullptr};
  const char* values[] = {"5", "1", "10", "5", "3", "15000", url.c_str(), nullptr};
  // expand_dbname: the URL in "dbname" is read as a whole connection string, its settings
  // applied after (over) the defaults before it.
  return PQconnectdbParams(keywords, values, 1);
}

}  // namespace

Connection::Connection(const std::string& url) : url_(url) {
  conn_ = connect_with_defaults(url);
  if (!conn_ || PQstatus(conn_) != CONNECTION_OK) {
    const std::string message =
        "cannot connect to " + where(conn_) + ": " + trimmed(conn_ ? PQerrorMessage(conn_) : "");
    if (conn_) PQfinish(conn_);
    conn_ = nullptr;
    throw Error(message, "");
  }
  // Warnings (NOTICE) are for people at a psql prompt, not for the server's log.
  PQsetNoticeProcessor(
      conn_, [](void*, const char*) {}, nullptr);
}

Connection::~Connection() {
  if (conn_) PQfinish(conn_);
}

bool Connection::broken() const { return !conn_ || PQstatus(conn_) != CONNECTION_OK; }

void Connection::reset() {
  prepared_.clear();
  if (!conn_) {
    conn_ = connect_with_defaults(url_);
  } else {
    PQreset(conn_);
  }
  if (broken()) {
    throw Error(
        "cannot connect to " + where(conn_) + ": " + trimmed(conn_ ? PQerrorMessage(conn_) : ""),
        "");
  }
  PQsetNoticeProcessor(
      conn_, [](void*, const char*) {}, nullptr);
}

void Connection::fail(std::string_view purpose, pg_result* result) {
  std::string sqlstate;
  std::string message;
  if (result) {
    const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
    sqlstate = state ? state : "";
    message = trimmed(PQresultErrorMessage(result));
    PQclear(result);
  }
  if (message.empty()) message = trimmed(PQerrorMessage(conn_));
  throw Error(where(conn_) + ": cannot " + std::string(purpose) + ": " + message +
                  (sqlstate.empty() ? "" : " (SQLSTATE " + sqlstate + ")"),
              sqlstate);
}

Rows Connection::run(const Query& query) {
  if (broken()) throw Error(where(conn_) + ": the connection is broken", "");
  auto found = prepared_.find(std::string(query.sql_));
  if (found == prepared_.end()) {
    const std::string name = "s" + std::to_string(prepared_.size() + 1);
    pg_result* result = PQprepare(conn_, name.c_str(), std::string(query.sql_).c_str(),
                                  static_cast<int>(query.types_.size()), query.types_.data());
    if (PQresultStatus(result) != PGRES_COMMAND_OK) fail(query.purpose_, result);
    PQclear(result);
    found = prepared_.emplace(std::string(query.sql_), name).first;
  }
  const std::size_t count = query.values_.size();
  std::vector<const char*> values(count);
  std::vector<int> lengths(count);
  std::vector<int> formats(count, kBinary);
  for (std::size_t i = 0; i < count; ++i) {
    values[i] = query.nulls_[i] ? nullptr : query.values_[i].data();
    lengths[i] = static_cast<int>(query.values_[i].size());
  }
  pg_result* result = PQexecPrepared(conn_, found->second.c_str(), static_cast<int>(count),
                                     values.data(), lengths.data(), formats.data(), kBinary);
  const ExecStatusType status = PQresultStatus(result);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) fail(query.purpose_, result);
  return Rows(result);
}

void Connection::execute(std::string_view script, std::string_view purpose) {
  if (broken()) throw Error(where(conn_) + ": the connection is broken", "");
  pg_result* result = PQexec(conn_, std::string(script).c_str());
  const ExecStatusType status = PQresultStatus(result);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) fail(purpose, result);
  PQclear(result);
}

int Connection::schema_version(std::string_view component) {
  Rows exists = query("SELECT to_regclass('schema_migrations') IS NOT NULL",
                      "look for the schema_migrations table")
                    .run();
  if (!exists.boolean(0, 0)) return 0;
  Rows version = query(
                     "SELECT coalesce(max(version), 0)::bigint FROM schema_migrations "
                     "WHERE component = $1",
                     "read the schema version")
                     .label(component)
                     .run();
  return static_cast<int>(version.integer(0, 0));
}

void Connection::migrate(std::string_view component, std::span<const Migration> migrations) {
  for (std::size_t i = 0; i < migrations.size(); ++i) {
    if (migrations[i].version != static_cast<int>(i + 1)) {
      throw std::logic_error("migrations must be numbered 1, 2, 3, ... in order");
    }
  }
  const int latest = static_cast<int>(migrations.size());
  const auto refuse_newer = [&](int found) {
    throw std::runtime_error(
        where(conn_) + ": the " + std::string(component) + " schema is at version " +
        std::to_string(found) + ", newer than the " + std::to_string(latest) +
        " this program knows; it was written by a newer version of aicc-chat. Run that "
        "version, or restore a backup made before the upgrade.");
  };

  Transaction transaction(*this);
  // One node at a time: the lock is held until COMMIT, and the table is created under it too.
  query("SELECT pg_advisory_xact_lock(hashtext('aicc schema ' || $1))", "lock the schema")
      .label(component)
      .run();
  execute(kCreateMigrationsTable, "create the schema_migrations table");
  const int current = schema_version(component);
  if (current > latest) refuse_newer(current);
  for (const Migration& migration : migrations) {
    if (migration.version <= current) continue;
    const std::string purpose = "apply " + std::string(component) + " migration " +
                                std::to_string(migration.version) + " (" +
                                std::string(migration.description) + ")";
    execute(migration.script, purpose);
    query("INSERT INTO schema_migrations (component, version, description) VALUES ($1, $2, $3)",
          "record an applied migration")
        .label(component)
        .integer(migration.version)
        .label(migration.description)
        .run();
  }
  transaction.commit();
}

// Transaction

Transaction::Transaction(Connection& connection) : connection_(connection) {
  connection_.execute("BEGIN", "begin a transaction");
}

Transaction::~Transaction() {
  if (done_ || connection_.broken()) return;
  try {
    connection_.execute("ROLLBACK", "roll back a transaction");
  } catch (const std::exception&) {
    // The connection failed meanwhile; the server rolls back what it cannot finish.
  }
}

void Transaction::commit() {
  done_ = true;  // COMMIT failing ends the transaction too: nothing is left to roll back
  connection_.execute("COMMIT", "commit a transaction");
}

}  // namespace aicc::store::postgres
