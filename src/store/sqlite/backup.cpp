#include "store/sqlite/backup.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <map>
#include <stdexcept>
#include <string_view>
#include <thread>

#include "store/sqlite/attachment_folder.hpp"
#include "store/sqlite/database.hpp"
#include "store/sqlite/database_lock.hpp"
#include "store/sqlite/sqlite_chat_store.hpp"
#include "store/sqlite/sqlite_user_store.hpp"
#include "util/time.hpp"

namespace aicc::store::sqlite {
namespace {

namespace fs = std::filesystem;

// The backup API and a few raw statements need the C API itself (Database is a server connection:
// WAL, cached statements); this is the least of it, closed on every path.
class Connection {
 public:
  Connection(const std::string& path, int flags) {
    const int code = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
    if (code != SQLITE_OK) {
      const std::string message = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(code);
      sqlite3_close_v2(db_);
      throw std::runtime_error("cannot open " + path + ": " + message);
    }
    sqlite3_extended_result_codes(db_, 1);
    sqlite3_busy_timeout(db_, kBusyTimeoutMs);
  }
  ~Connection() { sqlite3_close_v2(db_); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  sqlite3* get() const { return db_; }

  [[noreturn]] void fail(std::string_view what) const {
    throw std::runtime_error("cannot " + std::string(what) + ": " + sqlite3_errmsg(db_));
  }

  void execute(const std::string& sql, std::string_view what) const {
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) fail(what);
  }

  // Runs `sql` with `text` bound to ?1 (when given) and calls `row` for each result row.
  template <typename Row>
  void each(const std::string& sql, std::string_view what, Row&& row,
            std::optional<std::string_view> text = std::nullopt) const {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) fail(what);
    struct Finalize {
      sqlite3_stmt* stmt;
      ~Finalize() { sqlite3_finalize(stmt); }
    } finalize{stmt};
    if (text) sqlite3_bind_text(stmt, 1, text->data(), int(text->size()), SQLITE_TRANSIENT);
    for (;;) {
      const int code = sqlite3_step(stmt);
      if (code == SQLITE_DONE) return;
      if (code != SQLITE_ROW) fail(what);
      row(stmt);
    }
  }

  bool has_table(std::string_view name) const {
    bool found = false;
    each(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1", "read the schema",
        [&](sqlite3_stmt*) { found = true; }, name);
    return found;
  }

 private:
  sqlite3* db_ = nullptr;
};

std::string column_text(sqlite3_stmt* stmt, int index) {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, index));
  return text != nullptr ? std::string(text, std::size_t(sqlite3_column_bytes(stmt, index)))
                         : std::string();
}

std::string column_blob(sqlite3_stmt* stmt, int index) {
  const auto* bytes = static_cast<const char*>(sqlite3_column_blob(stmt, index));
  return bytes != nullptr ? std::string(bytes, std::size_t(sqlite3_column_bytes(stmt, index)))
                          : std::string();
}

// Copies every page of `from` into `to` in one step: one read transaction on `from`, so one
// consistent instant of it, whatever other connections write meanwhile. A lock held by a writer
// at the start is waited for like any busy database.
void copy_pages(const Connection& from, const Connection& to, std::string_view what) {
  sqlite3_backup* backup = sqlite3_backup_init(to.get(), "main", from.get(), "main");
  if (backup == nullptr) to.fail(what);
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(kBusyTimeoutMs);
  int code = SQLITE_OK;
  for (;;) {
    code = sqlite3_backup_step(backup, -1);
    if (code == SQLITE_DONE) break;
    const bool busy = code == SQLITE_BUSY || code == SQLITE_LOCKED;
    if (!busy || std::chrono::steady_clock::now() > deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  sqlite3_backup_finish(backup);
  if (code != SQLITE_DONE) {
    throw std::runtime_error("cannot " + std::string(what) + ": " + sqlite3_errstr(code));
  }
}

void check_integrity(const Connection& db, std::string_view name) {
  std::string verdict;
  db.each("PRAGMA integrity_check(1)", "check the integrity of " + std::string(name),
          [&](sqlite3_stmt* stmt) { verdict = column_text(stmt, 0); });
  if (verdict != "ok") {
    throw std::runtime_error(std::string(name) + " is damaged: " + verdict);
  }
}

// Attachment ids are made by the server ("a_" and hex), but the database is read here as data:
// anything that is not a plain file name is refused rather than joined to a path.
bool plain_file_name(std::string_view id) {
  if (id.empty() || id.size() > 128 || id.front() == '.') return false;
  for (char c : id) {
    const bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                         (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
    if (!allowed) return false;
  }
  return true;
}

void sync_file(const fs::path& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

// The newest schema version of each component this program knows.
const std::map<std::string, int>& known_versions() {
  static const std::map<std::string, int> versions{
      {"auth", SqliteUserStore::latest_schema_version()},
      {"chat", SqliteChatStore::latest_schema_version()}};
  return versions;
}

}  // namespace

BackupSummary make_backup(const std::string& database, const fs::path& attachments_dir,
                          const fs::path& target) {
  if (database.empty() || database == ":memory:") {
    throw std::runtime_error("store.sqlite.path names no file; there is nothing to back up");
  }
  if (!fs::exists(database)) throw std::runtime_error("there is no database at " + database);
  if (fs::exists(target)) {
    throw std::runtime_error(target.string() + " already exists; a backup never overwrites");
  }
  const fs::path partial = target.string() + ".partial";
  std::error_code ignored;
  fs::remove(partial, ignored);
  BackupSummary summary;
  try {
    {
      const Connection source(database, SQLITE_OPEN_READONLY);
      const Connection copy(partial.string(), SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
      copy_pages(source, copy, "copy the database");
      // One file, readable on its own: the copied header says WAL, the backup needs no journal.
      copy.execute("PRAGMA journal_mode=DELETE", "leave the WAL journal in the copy");
      copy.execute(
          "CREATE TABLE aicc_backup (made_at INTEGER NOT NULL, source TEXT NOT NULL, "
          "files INTEGER NOT NULL, missing INTEGER NOT NULL);"
          "CREATE TABLE aicc_backup_files (id TEXT PRIMARY KEY, bytes BLOB NOT NULL);",
          "add the backup's tables");
      std::vector<std::string> ids;
      if (copy.has_table("attachments")) {
        copy.each("SELECT id FROM attachments ORDER BY id", "list the attachments",
                  [&](sqlite3_stmt* stmt) { ids.push_back(column_text(stmt, 0)); });
      }
      copy.execute("BEGIN", "begin writing the attachments");
      for (const std::string& id : ids) {
        std::ifstream file(attachments_dir / id, std::ios::binary);
        if (!plain_file_name(id) || !file) {
          summary.missing.push_back(id);
          continue;
        }
        const std::string bytes((std::istreambuf_iterator<char>(file)),
                                std::istreambuf_iterator<char>());
        if (file.bad()) throw std::runtime_error("cannot read the attachment file of " + id);
        sqlite3_stmt* insert = nullptr;
        if (sqlite3_prepare_v2(copy.get(), "INSERT INTO aicc_backup_files VALUES (?1, ?2)", -1,
                               &insert, nullptr) != SQLITE_OK) {
          copy.fail("add an attachment");
        }
        sqlite3_bind_text(insert, 1, id.data(), int(id.size()), SQLITE_STATIC);
        sqlite3_bind_blob64(insert, 2, bytes.data(), bytes.size(), SQLITE_STATIC);
        const int code = sqlite3_step(insert);
        sqlite3_finalize(insert);
        if (code != SQLITE_DONE) copy.fail("add an attachment");
        ++summary.attachments;
      }
      sqlite3_stmt* info = nullptr;
      if (sqlite3_prepare_v2(copy.get(), "INSERT INTO aicc_backup VALUES (?1, ?2, ?3, ?4)", -1,
                             &info, nullptr) != SQLITE_OK) {
        copy.fail("describe the backup");
      }
      const std::string source_name = fs::absolute(database).string();
      sqlite3_bind_int64(info, 1, util::unix_seconds());
      sqlite3_bind_text(info, 2, source_name.data(), int(source_name.size()), SQLITE_STATIC);
      sqlite3_bind_int64(info, 3, std::int64_t(summary.attachments));
      sqlite3_bind_int64(info, 4, std::int64_t(summary.missing.size()));
      const int code = sqlite3_step(info);
      sqlite3_finalize(info);
      if (code != SQLITE_DONE) copy.fail("describe the backup");
      copy.execute("COMMIT", "write the attachments");
      check_integrity(copy, "the backup");
    }
    sync_file(partial, O_RDONLY);
    fs::rename(partial, target);
    const fs::path folder = target.parent_path().empty() ? fs::path(".") : target.parent_path();
    sync_file(folder, O_RDONLY | O_DIRECTORY);
  } catch (...) {
    fs::remove(partial, ignored);
    throw;
  }
  summary.bytes = fs::file_size(target);
  return summary;
}

RestoreSummary restore_backup(const fs::path& backup, const std::string& database,
                              const fs::path& attachments_dir) {
  if (database.empty() || database == ":memory:") {
    throw std::runtime_error("store.sqlite.path names no file to restore into");
  }
  if (!fs::is_regular_file(backup))
    throw std::runtime_error("there is no backup at " + backup.string());
  const Connection source(backup.string(), SQLITE_OPEN_READONLY);
  if (!source.has_table("aicc_backup") || !source.has_table("aicc_backup_files")) {
    throw std::runtime_error(backup.string() +
                             " is not an aicc-chat backup (aicc-chat backup FILE)");
  }
  check_integrity(source, "the backup");
  RestoreSummary summary;
  source.each("SELECT made_at, source FROM aicc_backup", "read the backup's description",
              [&](sqlite3_stmt* stmt) {
                summary.made_at = sqlite3_column_int64(stmt, 0);
                summary.source = column_text(stmt, 1);
              });
  if (source.has_table("schema_migrations")) {
    source.each("SELECT component, max(version) FROM schema_migrations GROUP BY component",
                "read the backup's schema versions", [&](sqlite3_stmt* stmt) {
                  const std::string component = column_text(stmt, 0);
                  const int version = sqlite3_column_int(stmt, 1);
                  const auto known = known_versions().find(component);
                  if (known != known_versions().end() && version > known->second) {
                    throw std::runtime_error(
                        "the backup's " + component + " schema is at version " +
                        std::to_string(version) + ", newer than the " +
                        std::to_string(known->second) +
                        " this program knows; restore it with the aicc-chat that made it");
                  }
                });
  }

  long holder = 0;
  const auto lock = DatabaseLock::try_take(database, holder);
  if (!lock) {
    throw std::runtime_error("a server is using " + database +
                             (holder > 0 ? " (process " + std::to_string(holder) + ")" : "") +
                             "; stop it before restoring");
  }
  // The files first: once the database is back, every attachment it names must be readable.
  AttachmentFolder folder(attachments_dir);
  source.each("SELECT id, bytes FROM aicc_backup_files ORDER BY id", "read the attachments",
              [&](sqlite3_stmt* stmt) {
                const std::string id = column_text(stmt, 0);
                if (!plain_file_name(id)) {
                  throw std::runtime_error("the backup holds an attachment with a bad name");
                }
                const std::string bytes = column_blob(stmt, 1);
                const fs::path staged = folder.stage(bytes);
                folder.commit(staged, id);
                ++summary.attachments;
              });
  {
    const Connection target(database, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    target.execute("PRAGMA journal_mode=WAL", "use the WAL journal");
    copy_pages(source, target, "copy the backup into the database");
    target.execute("DROP TABLE aicc_backup_files; DROP TABLE aicc_backup;",
                   "drop the backup's own tables");
    target.execute("PRAGMA wal_checkpoint(TRUNCATE)", "write the restored pages to the database");
  }
  return summary;
}

}  // namespace aicc::store::sqlite
