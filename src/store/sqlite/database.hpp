// A small RAII wrapper over one SQLite connection, for the SQLite adapters of the ports.
//
// What it adds to the C API, and nothing more:
// - open: the file is created if missing and set up once for a server: WAL journal (readers never
//   block the writer), synchronous=NORMAL (durable at each checkpoint, never corrupt), foreign keys
//   on, and a 5 s busy timeout so that a second process writing the same file waits instead of
//   failing at once;
// - prepared statements cached per SQL text, handed out as a `Statement` guard that resets the
//   statement and clears its bindings when it goes out of scope (an unreset statement would keep
//   its read snapshot open);
// - a `Transaction` guard: BEGIN IMMEDIATE (the write lock is taken up front, so a read-then-write
//   cannot be overtaken between its read and its write), COMMIT, or ROLLBACK on unwind;
// - versioned migrations kept in the code: each is one SQL script applied once, in order, inside
// its
//   own transaction, and recorded in `schema_migrations`; a database written by a newer program is
//   refused rather than misread.
//
// Errors throw std::runtime_error naming what was being done and SQLite's own message.
//
// Strings are bound and read with their length, never as C strings: bytes go in and come out
// exactly, embedded NULs included, and `=` compares them byte for byte (the BINARY collation).
//
// Not thread-safe: one Database is one connection, to be used by one thread at a time. Callers
// that share it (the store adapters) serialise every use behind their own mutex.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>

#include "store/migration.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace aicc::store::sqlite {

inline constexpr int kBusyTimeoutMs = 5000;  // how long a write waits for another writer's lock

// A cached prepared statement lent out for one use. Binding indexes are 1-based (as in SQL `?1`),
// column indexes 0-based (as in SQLite). `purpose` must outlive the guard (pass a literal).
class Statement {
 public:
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&&) = delete;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();  // resets the statement and clears its bindings

  Statement& bind_text(int index, std::string_view value);  // byte-exact, NULs kept
  Statement& bind_int(int index, std::int64_t value);
  Statement& bind_bool(int index, bool value);  // stored as 0 or 1
  Statement& bind_null(int index);

  // True when a row is ready to read; false when the statement has finished.
  bool step();
  // Steps to the end, for statements that return no rows.
  void run();

  std::string column_text(int index) const;  // NULL reads as ""
  std::int64_t column_int(int index) const;  // NULL reads as 0
  double column_double(int index) const;     // NULL reads as 0
  bool column_bool(int index) const;
  bool column_is_null(int index) const;

 private:
  friend class Database;
  Statement(sqlite3* db, sqlite3_stmt* stmt, bool* in_use, std::string_view purpose);
  void check_bind(int code) const;

  sqlite3* db_;
  sqlite3_stmt* stmt_;  // owned by the Database's cache; null once moved from
  bool* in_use_;        // the cache entry's flag: one guard per statement at a time
  std::string_view purpose_;
};

using store::Migration;

class Database {
 public:
  // Opens (creating if missing) the database at `path`; ":memory:" gives a private in-memory
  // database, which is gone when this object is.
  explicit Database(const std::string& path);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // The cached statement for `sql` (exactly one SQL statement), prepared on first use.
  Statement prepare(std::string_view sql, std::string_view purpose);

  // Runs a script of one or more statements, uncached (migrations, pragmas).
  void execute(std::string_view script, std::string_view purpose);

  // Rows changed by the last INSERT, UPDATE or DELETE on this connection.
  std::int64_t changes() const;

  // True inside BEGIN ... COMMIT.
  bool in_transaction() const;

  // Brings the schema of `component` up to the last of `migrations` (sorted, versions 1..N), each
  // pending one in its own IMMEDIATE transaction. Components sharing one file (users, later
  // messages) keep separate version sequences. Throws when the database already holds a version
  // past N: it was written by a newer program, and this one would misread it.
  void migrate(std::string_view component, std::span<const Migration> migrations);

  // The last migration of `component` applied to this database; 0 when none.
  int schema_version(std::string_view component);

  // From now on the WAL is checkpointed on a thread of its own, with a connection of its own,
  // once a commit leaves `pages` or more in it (PASSIVE: writers go on meanwhile). SQLite's
  // default runs the checkpoint inside the commit that crossed the line, which then waits for
  // the copy and its fsync: a pause of tens of milliseconds for whoever committed. A file
  // database only; call once.
  void checkpoint_in_background(int pages);

 private:
  friend class Transaction;
  struct Cached {
    sqlite3_stmt* stmt = nullptr;
    bool in_use = false;
  };
  // Heterogeneous lookup, so that a cache hit does not build a std::string.
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const {
      return std::hash<std::string_view>{}(text);
    }
  };

  // ROLLBACK if a transaction is open; for destructors, so it does not throw.
  void rollback() noexcept;
  void close() noexcept;

  sqlite3* db_ = nullptr;
  std::unordered_map<std::string, Cached, Hash, std::equal_to<>> statements_;
  struct Checkpointer;  // database.cpp
  std::unique_ptr<Checkpointer> checkpointer_;
};

// BEGIN IMMEDIATE now; COMMIT on commit(); ROLLBACK when destroyed uncommitted (an exception
// unwinding through it). Waits up to kBusyTimeoutMs for another connection's write lock.
class Transaction {
 public:
  explicit Transaction(Database& db);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  void commit();

 private:
  Database& db_;
  bool done_ = false;
};

}  // namespace aicc::store::sqlite
