// A small RAII wrapper over one libpq connection, for the PostgreSQL adapters of the ports.
//
// libpq directly rather than libpqxx: every string of the ports is stored byte for byte, NULs
// included, so string columns are BYTEA and every value goes in and comes out in PostgreSQL's
// binary format, which libpq does with a length per value and libpqxx 6 only through hex text.
// What it adds to the C API:
// - statements prepared once per connection and SQL text, run with binary parameters and binary
//   results (`Query`, `Rows`); parameter types are fixed by the binding (BYTEA, BIGINT, BOOLEAN,
//   TEXT for the few constant labels), so SQL never guesses them;
// - a `Transaction` guard: BEGIN, COMMIT, or ROLLBACK on unwind;
// - versioned migrations kept in the code, as in the SQLite adapter: each applied once and recorded
//   in `schema_migrations`, all pending ones in one transaction (PostgreSQL's DDL is
//   transactional) under an advisory lock, so that several nodes starting at once apply each step
//   once; a database written by a newer program is refused.
//
// Errors throw `postgres::Error` (a std::runtime_error) naming what was being done, PostgreSQL's
// message and its SQLSTATE. A connection that broke stays broken until `reset()`; the pool resets
// it before lending it again.
//
// Not thread-safe: one Connection is used by one thread at a time (the pool lends it out).
#pragma once

#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "store/migration.hpp"

struct pg_conn;
struct pg_result;

namespace aicc::store::postgres {

class Error : public std::runtime_error {
 public:
  Error(const std::string& message, std::string sqlstate)
      : std::runtime_error(message), sqlstate_(std::move(sqlstate)) {}
  const std::string& sqlstate() const { return sqlstate_; }
  bool unique_violation() const { return sqlstate_ == "23505"; }
  // The transaction lost a race (serialization failure, deadlock) and may simply be run again.
  bool retryable() const { return sqlstate_ == "40001" || sqlstate_ == "40P01"; }

 private:
  std::string sqlstate_;  // five characters; empty when the connection itself failed
};

// The rows of one statement, in binary format. Row and column indexes are 0-based.
class Rows {
 public:
  explicit Rows(pg_result* result) : result_(result) {}
  Rows(Rows&& other) noexcept : result_(other.result_) { other.result_ = nullptr; }
  Rows& operator=(Rows&&) = delete;
  Rows(const Rows&) = delete;
  Rows& operator=(const Rows&) = delete;
  ~Rows();

  int size() const;
  bool empty() const { return size() == 0; }
  // Rows changed by an INSERT, UPDATE or DELETE.
  std::int64_t affected() const;

  bool is_null(int row, int column) const;
  std::string text(int row, int column) const;      // BYTEA or TEXT; NULL reads as ""
  std::int64_t integer(int row, int column) const;  // BIGINT, INTEGER or SMALLINT; NULL reads 0
  double real(int row, int column) const;           // DOUBLE PRECISION; NULL reads as 0
  bool boolean(int row, int column) const;          // NULL reads as false

 private:
  const char* value(int row, int column, int* length) const;

  pg_result* result_;
};

class Connection;

// One statement with its parameters ($1, $2, ... in the order bound), run by run().
class Query {
 public:
  Query& text(std::string_view value);   // a BYTEA parameter: the bytes as they are
  Query& label(std::string_view value);  // a TEXT parameter (UTF-8 without NUL)
  Query& integer(std::int64_t value);    // a BIGINT parameter
  Query& boolean(bool value);            // a BOOLEAN parameter
  Query& null_text();                    // a NULL BYTEA parameter
  Query& null_integer();                 // a NULL BIGINT parameter

  Rows run();

 private:
  friend class Connection;
  Query(Connection& connection, std::string_view sql, std::string_view purpose)
      : connection_(connection), sql_(sql), purpose_(purpose) {}
  void add(unsigned type, std::string bytes, bool is_null);

  Connection& connection_;
  std::string_view sql_;
  std::string_view purpose_;
  std::vector<unsigned> types_;
  std::vector<std::string> values_;
  std::vector<bool> nulls_;
};

class Connection {
 public:
  // Connects to `url` (a libpq connection URI). Throws Error when it cannot.
  explicit Connection(const std::string& url);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // `sql` is one statement, prepared on its first use on this connection. `purpose` says what the
  // caller was doing, for the error; both must outlive the query (pass literals).
  Query query(std::string_view sql, std::string_view purpose) { return {*this, sql, purpose}; }

  // Runs a script of one or more statements without parameters (migrations, BEGIN, COMMIT).
  void execute(std::string_view script, std::string_view purpose);

  bool broken() const;
  // Reconnects a broken connection; its prepared statements are gone with the old session.
  void reset();

  // Brings the schema of `component` up to the last of `migrations` (versions 1..N) in one
  // transaction, holding an advisory lock on the component meanwhile. Throws when the database
  // already holds a version past N.
  void migrate(std::string_view component, std::span<const Migration> migrations);
  int schema_version(std::string_view component);

 private:
  friend class Query;
  Rows run(const Query& query);
  [[noreturn]] void fail(std::string_view purpose, pg_result* result);

  pg_conn* conn_ = nullptr;
  std::string url_;
  std::unordered_map<std::string, std::string> prepared_;  // SQL text -> statement name
};

// BEGIN now (READ COMMITTED, PostgreSQL's default; the adapters lock the rows they decide on);
// COMMIT on commit(); ROLLBACK when destroyed uncommitted.
class Transaction {
 public:
  explicit Transaction(Connection& connection);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  void commit();

 private:
  Connection& connection_;
  bool done_ = false;
};

}  // namespace aicc::store::postgres
