// One process at a time serves, or restores, a SQLite database: an advisory lock (flock) on a
// small file beside it ("<database>-lock", holding the owner's process id), kept for the owner's
// life and dropped by the kernel when the process ends, however it ends. The lock is on a file of
// its own because closing any descriptor of the database file itself would release the record
// locks SQLite holds on it. The `aicc-chat user` commands and online backups do not take it: they
// are meant to run beside the server.
#pragma once

#include <optional>
#include <string>

namespace aicc::store::sqlite {

class DatabaseLock {
 public:
  // Takes the lock of the database at `database_path`, creating its lock file; nullopt with
  // `holder` set to the owner's process id (0 when unknown) when another process holds it.
  // Throws std::runtime_error when the lock file cannot be made (a folder that cannot be written).
  static std::optional<DatabaseLock> try_take(const std::string& database_path, long& holder);

  DatabaseLock(DatabaseLock&& other) noexcept;
  DatabaseLock& operator=(DatabaseLock&& other) noexcept;
  DatabaseLock(const DatabaseLock&) = delete;
  DatabaseLock& operator=(const DatabaseLock&) = delete;
  ~DatabaseLock();

  static std::string file_for(const std::string& database_path) { return database_path + "-lock"; }

 private:
  explicit DatabaseLock(int fd) : fd_(fd) {}
  void release() noexcept;
  int fd_ = -1;
};

}  // namespace aicc::store::sqlite
