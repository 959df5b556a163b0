#include "store/sqlite/database.hpp"

#include <sqlite3.h>

#include <cctype>
#include <condition_variable>
#include <limits>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>

#include "util/thread_name.hpp"

namespace aicc::store::sqlite {
namespace {

// STRICT tables (column types enforced) arrived in SQLite 3.37.
constexpr int kMinimumVersion = 3037000;

// The file a connection is on, for error messages; ":memory:" for in-memory databases.
std::string database_name(sqlite3* db) {
  const char* file = db != nullptr ? sqlite3_db_filename(db, "main") : nullptr;
  return file != nullptr && *file != '\0' ? std::string(file) : std::string(":memory:");
}

// "SQLite (/var/lib/aicc/users.db): cannot find a user by id: database is locked"
[[noreturn]] void throw_error(sqlite3* db, int code, std::string_view purpose,
                              const char* message = nullptr) {
  if (message == nullptr) {
    // sqlite3_errmsg() describes the connection's last error, which is this one unless the code
    // came from elsewhere.
    message = db != nullptr && sqlite3_extended_errcode(db) == code ? sqlite3_errmsg(db)
                                                                    : sqlite3_errstr(code);
  }
  std::string text = "SQLite (" + database_name(db) + "): cannot ";
  text += purpose;
  text += ": ";
  text += message;
  throw std::runtime_error(text);
}

bool only_whitespace(const char* begin, const char* end) {
  for (const char* p = begin; p < end; ++p) {
    if (!std::isspace(static_cast<unsigned char>(*p)) && *p != ';') return false;
  }
  return true;
}

constexpr std::string_view kCreateMigrationsTable = R"sql(
CREATE TABLE IF NOT EXISTS schema_migrations (
  component   TEXT NOT NULL,     -- which store's schema ("auth", ...)
  version     INTEGER NOT NULL,  -- 1, 2, 3, ... in the order applied
  description TEXT NOT NULL,
  applied_at  INTEGER NOT NULL,  -- unix seconds
  PRIMARY KEY (component, version)
) STRICT;
)sql";

}  // namespace

// Statement

Statement::Statement(sqlite3* db, sqlite3_stmt* stmt, bool* in_use, std::string_view purpose)
    : db_(db), stmt_(stmt), in_use_(in_use), purpose_(purpose) {}

Statement::Statement(Statement&& other) noexcept
    : db_(other.db_), stmt_(other.stmt_), in_use_(other.in_use_), purpose_(other.purpose_) {
  other.stmt_ = nullptr;
}

Statement::~Statement() {
  if (stmt_ == nullptr) return;
  // reset() repeats the last step's error code, which step() has already reported.
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  *in_use_ = false;
}

void Statement::check_bind(int code) const {
  if (code != SQLITE_OK) throw_error(db_, code, purpose_);
}

Statement& Statement::bind_text(int index, std::string_view value) {
  // A null pointer would bind SQL NULL, not an empty string.
  const char* data = value.data() != nullptr ? value.data() : "";
  check_bind(sqlite3_bind_text64(stmt_, index, data, value.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
  return *this;
}

Statement& Statement::bind_int(int index, std::int64_t value) {
  check_bind(sqlite3_bind_int64(stmt_, index, value));
  return *this;
}

Statement& Statement::bind_bool(int index, bool value) { return bind_int(index, value ? 1 : 0); }

Statement& Statement::bind_null(int index) {
  check_bind(sqlite3_bind_null(stmt_, index));
  return *this;
}

bool Statement::step() {
  const int code = sqlite3_step(stmt_);
  if (code == SQLITE_ROW) return true;
  if (code == SQLITE_DONE) return false;
  throw_error(db_, code, purpose_);
}

void Statement::run() {
  while (step()) {
  }
}

std::string Statement::column_text(int index) const {
  // text() first, then bytes(): the order SQLite documents for a stable length.
  const unsigned char* text = sqlite3_column_text(stmt_, index);
  const int size = sqlite3_column_bytes(stmt_, index);
  if (text == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(text), static_cast<std::size_t>(size));
}

std::int64_t Statement::column_int(int index) const { return sqlite3_column_int64(stmt_, index); }

double Statement::column_double(int index) const { return sqlite3_column_double(stmt_, index); }

bool Statement::column_bool(int index) const { return column_int(index) != 0; }

bool Statement::column_is_null(int index) const {
  return sqlite3_column_type(stmt_, index) == SQLITE_NULL;
}

// Database

Database::Database(const std::string& path) {
  if (sqlite3_libversion_number() < kMinimumVersion) {
    throw std::runtime_error(std::string("SQLite 3.37 or newer is required; this is ") +
                             sqlite3_libversion());
  }
  // NOMUTEX: SQLite's own per-call locking is redundant, the callers serialise (see the header).
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  const int code = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
  if (code != SQLITE_OK) {
    const std::string message = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(code);
    close();
    throw std::runtime_error("SQLite: cannot open database " + path + ": " + message);
  }
  try {
    sqlite3_extended_result_codes(db_, 1);
    sqlite3_busy_timeout(db_, kBusyTimeoutMs);

    // The first statement reads the file: this is where "file is not a database" shows up.
    std::string mode;
    {
      auto journal = prepare("PRAGMA journal_mode=WAL", "switch to the WAL journal");
      if (journal.step()) mode = journal.column_text(0);
    }
    // An in-memory database has no journal file and stays in "memory" mode.
    if (mode != "wal" && database_name(db_) != ":memory:") {
      throw std::runtime_error("SQLite (" + database_name(db_) +
                               "): cannot use the WAL journal (the journal mode is '" + mode +
                               "'); is the file on a network file system?");
    }
    execute("PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
            "set synchronous=NORMAL and foreign_keys=ON");
    // Pages are read through a mapping and kept in a larger cache than SQLite's 2 MB default: a
    // room message's commit touches the messages table, its indexes and the text index, and each
    // page read with pread was a system call and a copy on the thread that routes and stores.
    execute("PRAGMA cache_size=-32768; PRAGMA mmap_size=268435456;",
            "set the page cache (32 MiB) and the memory map (256 MiB)");
    bool foreign_keys = false;
    {
      auto check = prepare("PRAGMA foreign_keys", "read the foreign_keys setting");
      foreign_keys = check.step() && check.column_bool(0);
    }
    if (!foreign_keys) {
      throw std::runtime_error("SQLite was built without foreign key support");
    }
  } catch (...) {
    close();
    throw;
  }
}

struct Database::Checkpointer {
  int pages = 0;
  sqlite3* db = nullptr;  // its own connection
  std::mutex mutex;       // guards due and stopping
  std::mutex copying;     // held while a checkpoint copies, by either thread
  std::condition_variable wake;
  bool due = false;
  bool stopping = false;
  std::thread thread;

  // Called by SQLite after each commit on the main connection, which it must not slow down.
  static int on_commit(void* self, sqlite3* db, const char* name, int wal_pages) {
    auto* checkpointer = static_cast<Checkpointer*>(self);
    if (wal_pages >= 2 * checkpointer->pages) {
      // The background copies could not catch up with a writer that never pauses, and the WAL
      // restarts from its beginning only once every frame in it was copied when a write begins.
      // Copying here, between two transactions, finishes that: only what the background has not
      // copied yet is left, so this is short (after the background's pass, if one is running).
      std::lock_guard copy_lock(checkpointer->copying);
      sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
      return SQLITE_OK;
    }
    if (wal_pages >= checkpointer->pages) {
      {
        std::lock_guard lock(checkpointer->mutex);
        checkpointer->due = true;
      }
      checkpointer->wake.notify_one();
    }
    return SQLITE_OK;
  }

  void run() {
    std::unique_lock lock(mutex);
    for (;;) {
      wake.wait(lock, [this] { return due || stopping; });
      if (stopping) return;
      due = false;
      lock.unlock();
      {
        // A failed checkpoint is tried again after the next commit past the line.
        std::lock_guard copy_lock(copying);
        sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
      }
      lock.lock();
    }
  }

  void stop() noexcept {
    {
      std::lock_guard lock(mutex);
      stopping = true;
    }
    wake.notify_one();
    if (thread.joinable()) thread.join();
    sqlite3_close(db);
    db = nullptr;
  }
};

void Database::checkpoint_in_background(int pages) {
  if (checkpointer_ || database_name(db_) == ":memory:") return;
  auto checkpointer = std::make_unique<Checkpointer>();
  checkpointer->pages = pages;
  const char* file = sqlite3_db_filename(db_, "main");
  if (sqlite3_open_v2(file, &checkpointer->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
                      nullptr) != SQLITE_OK) {
    const std::string message = sqlite3_errmsg(checkpointer->db);
    sqlite3_close(checkpointer->db);
    throw std::runtime_error("SQLite (" + database_name(db_) +
                             "): cannot open a connection for checkpoints: " + message);
  }
  sqlite3_busy_timeout(checkpointer->db, kBusyTimeoutMs);
  // A connection learns the journal mode when it first reads the file; until then a checkpoint
  // on it does nothing.
  if (sqlite3_exec(checkpointer->db, "PRAGMA journal_mode", nullptr, nullptr, nullptr) !=
      SQLITE_OK) {
    const std::string message = sqlite3_errmsg(checkpointer->db);
    sqlite3_close(checkpointer->db);
    throw std::runtime_error("SQLite (" + database_name(db_) +
                             "): cannot read the database for checkpoints: " + message);
  }
  checkpointer->thread = std::thread([raw = checkpointer.get()] {
    aicc::util::name_this_thread("aicc-checkpoint");
    raw->run();
  });
  // Replaces SQLite's automatic checkpoint, which is this same hook.
  sqlite3_wal_hook(db_, &Checkpointer::on_commit, checkpointer.get());
  checkpointer_ = std::move(checkpointer);
}

Database::~Database() { close(); }

void Database::close() noexcept {
  if (checkpointer_) {
    if (db_ != nullptr) sqlite3_wal_hook(db_, nullptr, nullptr);
    checkpointer_->stop();
    checkpointer_.reset();
  }
  for (auto& [sql, cached] : statements_) sqlite3_finalize(cached.stmt);
  statements_.clear();
  // Every statement is finalized, so close() cannot be refused as busy.
  sqlite3_close(db_);
  db_ = nullptr;
}

Statement Database::prepare(std::string_view sql, std::string_view purpose) {
  auto it = statements_.find(sql);
  if (it == statements_.end()) {
    if (sql.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
      throw std::length_error("SQL text too long");
    }
    sqlite3_stmt* stmt = nullptr;
    const char* tail = nullptr;
    const int code = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                        SQLITE_PREPARE_PERSISTENT, &stmt, &tail);
    if (code != SQLITE_OK) throw_error(db_, code, purpose);
    // A cached statement is exactly one statement; anything after it would be silently ignored.
    if (stmt == nullptr || !only_whitespace(tail, sql.data() + sql.size())) {
      sqlite3_finalize(stmt);
      throw std::logic_error("prepare() takes exactly one SQL statement: " + std::string(sql));
    }
    it = statements_.emplace(std::string(sql), Cached{stmt, false}).first;
  }
  // Two guards on one statement would reset each other's rows.
  if (it->second.in_use) {
    throw std::logic_error("statement already in use (nested use of the same SQL): " +
                           std::string(sql));
  }
  it->second.in_use = true;
  return Statement(db_, it->second.stmt, &it->second.in_use, purpose);
}

void Database::execute(std::string_view script, std::string_view purpose) {
  const std::string text(script);  // sqlite3_exec wants a terminated string
  char* message = nullptr;
  const int code = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message);
  if (code != SQLITE_OK) {
    const std::string copy = message != nullptr ? message : sqlite3_errstr(code);
    sqlite3_free(message);
    throw_error(db_, code, purpose, copy.c_str());
  }
}

std::int64_t Database::changes() const { return sqlite3_changes64(db_); }

bool Database::in_transaction() const { return sqlite3_get_autocommit(db_) == 0; }

void Database::rollback() noexcept {
  // SQLite may already have rolled back by itself (after some I/O errors); ROLLBACK with no
  // transaction would only fail. A failing ROLLBACK cannot be reported from a destructor, and
  // SQLite rolls the transaction back anyway when the connection closes.
  if (in_transaction()) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
}

int Database::schema_version(std::string_view component) {
  {
    auto exists = prepare(
        "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'schema_migrations'",
        "look for the schema_migrations table");
    if (!exists.step() || exists.column_int(0) == 0) return 0;
  }
  auto version =
      prepare("SELECT coalesce(max(version), 0) FROM schema_migrations WHERE component = ?1",
              "read the schema version");
  version.bind_text(1, component);
  return version.step() ? static_cast<int>(version.column_int(0)) : 0;
}

void Database::migrate(std::string_view component, std::span<const Migration> migrations) {
  for (std::size_t i = 0; i < migrations.size(); ++i) {
    if (migrations[i].version != static_cast<int>(i + 1)) {
      throw std::logic_error("migrations must be numbered 1, 2, 3, ... in order");
    }
  }
  const int latest = static_cast<int>(migrations.size());
  const auto refuse_newer = [&](int found) {
    throw std::runtime_error(
        "SQLite (" + database_name(db_) + "): the " + std::string(component) +
        " schema is at version " + std::to_string(found) + ", newer than the " +
        std::to_string(latest) +
        " this program knows; it was written by a newer version of aicc-chat. Run that "
        "version, or restore a backup made before the upgrade.");
  };

  execute(kCreateMigrationsTable, "create the schema_migrations table");
  const int current = schema_version(component);
  if (current > latest) refuse_newer(current);

  for (const Migration& migration : migrations) {
    if (migration.version <= current) continue;
    Transaction transaction(*this);
    // Read again under the write lock: another process may have migrated meanwhile.
    const int now_at = schema_version(component);
    if (now_at > latest) refuse_newer(now_at);
    if (now_at >= migration.version) continue;
    const std::string purpose = "apply " + std::string(component) + " migration " +
                                std::to_string(migration.version) + " (" +
                                std::string(migration.description) + ")";
    execute(migration.script, purpose);
    {
      auto record = prepare(
          "INSERT INTO schema_migrations (component, version, description, applied_at) "
          "VALUES (?1, ?2, ?3, CAST(strftime('%s', 'now') AS INTEGER))",
          "record an applied migration");
      record.bind_text(1, component)
          .bind_int(2, migration.version)
          .bind_text(3, migration.description)
          .run();
    }
    transaction.commit();
  }
}

// Transaction

Transaction::Transaction(Database& db) : db_(db) {
  db_.prepare("BEGIN IMMEDIATE", "begin a write transaction").run();
}

Transaction::~Transaction() {
  if (!done_) db_.rollback();
}

void Transaction::commit() {
  db_.prepare("COMMIT", "commit a transaction").run();
  done_ = true;
}

}  // namespace aicc::store::sqlite
