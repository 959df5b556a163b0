// Online backups of the SQLite store, and their restore.
//
// A backup is one SQLite file: a consistent copy of the database taken with SQLite's backup API in
// a single step (one read transaction, so one instant; in WAL mode the server keeps writing
// meanwhile), plus the bytes of every attachment that copy names, read from the attachments folder
// into a table of the backup (`aicc_backup_files`), and a row saying when and from where
// (`aicc_backup`). Attachment files are written whole before their row is committed and never
// changed, so the files a consistent copy names are all there to read. The file is written under a
// temporary name and renamed when complete and checked, so a backup that exists is whole.
//
// A restore puts a backup back while no server runs on the database (it takes the server's lock,
// database_lock.hpp): the attachment files first, then the database pages through the backup API
// (which handles the live database's WAL), then the backup's own tables are dropped. A backup
// written by a newer program is refused before anything changes.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace aicc::store::sqlite {

struct BackupSummary {
  std::uintmax_t bytes = 0;          // size of the backup file
  std::size_t attachments = 0;       // attachment files copied into it
  std::vector<std::string> missing;  // attachments the database names whose file was not found
};

// Copies the database at `database` and the files of `attachments_dir` it names into the new file
// `target`, which must not exist. Throws std::runtime_error naming the step that failed; a failed
// backup leaves no `target`.
BackupSummary make_backup(const std::string& database, const std::filesystem::path& attachments_dir,
                          const std::filesystem::path& target);

struct RestoreSummary {
  std::int64_t made_at = 0;     // when the backup was taken, Unix seconds
  std::string source;           // the database it was taken from
  std::size_t attachments = 0;  // attachment files written back
};

// Replaces the database at `database` (created when missing) with the backup `backup`, and writes
// its attachment files into `attachments_dir`. Throws std::runtime_error when the backup is not
// one, is damaged or comes from a newer program, or when a server holds the database; nothing is
// changed then.
RestoreSummary restore_backup(const std::filesystem::path& backup, const std::string& database,
                              const std::filesystem::path& attachments_dir);

}  // namespace aicc::store::sqlite
