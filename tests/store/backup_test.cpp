// Backups of the SQLite store taken while it is written, and their restore: one consistent instant
// (every stream without a gap, every attachment it names with its bytes), a restore that gives that
// instant back, and refusals that change nothing.
#include "store/sqlite/backup.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "store/sqlite/attachment_folder.hpp"
#include "store/sqlite/database.hpp"
#include "store/sqlite/database_lock.hpp"
#include "store/sqlite/sqlite_chat_store.hpp"
#include "store/sqlite/sqlite_user_store.hpp"
#include "temp_file.hpp"

namespace aicc::store::sqlite {
namespace {

namespace fs = std::filesystem;
using testing::TempFile;

constexpr chat::Millis kNow = 1'760'000'000'000;

chat::MessageRecord message_in(const std::string& stream, int n) {
  chat::MessageRecord m;
  m.stream_id = stream;
  m.message_id = "m_" + stream + "_" + std::to_string(n);
  m.sender_id = "cust_1";
  m.sender_role = chat::SenderRole::kCustomer;
  m.text = "message " + std::to_string(n) + " of " + stream;
  m.created_at = kNow + n;
  return m;
}

chat::AttachmentRecord attachment_in(const std::string& room, int n) {
  chat::AttachmentRecord a;
  a.file.id = "f_" + std::to_string(n);
  a.file.name = "note-" + std::to_string(n) + ".txt";
  a.file.content_type = "text/plain";
  a.room_id = room;
  a.uploader_id = "cust_1";
  a.created_at = kNow + n;
  return a;
}

std::string bytes_of(int n) { return "the content of file " + std::to_string(n) + "\n"; }

// The folder a store keeps its attachment files in, for a database at `path`.
fs::path files_of(const std::string& path) { return AttachmentFolder::beside(path); }

// A store with a room (for attachments) and `streams` conversations.
struct Seeded {
  std::string room = "r_1";
  std::vector<std::string> streams;
};

Seeded seed(SqliteChatStore& store, int streams) {
  Seeded seeded;
  for (int i = 0; i < streams; ++i) {
    seeded.streams.push_back(
        store
            .get_or_create_conversation("cust_" + std::to_string(i), "c_" + std::to_string(i), kNow)
            .id);
  }
  chat::RoomRecord room;
  room.id = seeded.room;
  room.conversation_id = seeded.streams.front();
  room.request_id = "q_1";
  room.customer_id = "cust_0";
  room.agent_id = "agent_1";
  room.created_at = kNow;
  if (!store.create_room(room)) throw std::runtime_error("room not created");
  return seeded;
}

// Every stream of `store` read whole: its messages' sequence numbers must be 1..N.
std::map<std::string, std::int64_t> checked_lengths(SqliteChatStore& store,
                                                    const std::vector<std::string>& streams) {
  std::map<std::string, std::int64_t> lengths;
  for (const std::string& stream : streams) {
    const auto messages = store.read_messages(stream, 0, 1'000'000);
    for (std::size_t i = 0; i < messages.size(); ++i) {
      EXPECT_EQ(messages[i].seq, std::int64_t(i + 1)) << stream << ": a gap in the copy";
    }
    lengths[stream] = std::int64_t(messages.size());
  }
  return lengths;
}

std::int64_t count_backup_rows(const std::string& path, const std::string& table) {
  sqlite3* db = nullptr;
  sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
  sqlite3_stmt* stmt = nullptr;
  std::int64_t count = -1;
  if (sqlite3_prepare_v2(db, ("SELECT count(*) FROM " + table).c_str(), -1, &stmt, nullptr) ==
          SQLITE_OK &&
      sqlite3_step(stmt) == SQLITE_ROW) {
    count = sqlite3_column_int64(stmt, 0);
  }
  sqlite3_finalize(stmt);
  sqlite3_close_v2(db);
  return count;
}

void run_sql(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr);
  char* error = nullptr;
  const int code = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
  const std::string message = error != nullptr ? error : "";
  sqlite3_free(error);
  sqlite3_close_v2(db);
  if (code != SQLITE_OK) throw std::runtime_error(message);
}

TEST(SqliteBackup, ACopyTakenDuringWritesIsOneInstantAndRestoresToIt) {
  TempFile live;
  TempFile restored;
  const fs::path backup = fs::path(live.path()).parent_path() / "backup.sqlite";
  Seeded seeded;
  {
    SqliteChatStore store(live.path());
    seeded = seed(store, 3);
    for (int n = 0; n < 20; ++n) {
      ASSERT_TRUE(store.add_attachment(attachment_in(seeded.room, n), bytes_of(n)));
    }
  }

  // A writer on its own connection, as the server would be, while the backup is taken.
  std::atomic<bool> stop{false};
  std::atomic<int> written{0};
  std::thread writer([&] {
    SqliteChatStore store(live.path());
    int n = 0;
    while (!stop.load()) {
      for (const std::string& stream : seeded.streams) store.append_message(message_in(stream, n));
      if (n % 10 == 0)
        store.add_attachment(attachment_in(seeded.room, 1000 + n), bytes_of(1000 + n));
      written.store(++n);
    }
  });
  while (written.load() < 50) std::this_thread::yield();
  const BackupSummary summary = make_backup(live.path(), files_of(live.path()), backup);
  const int written_at_backup_end = written.load();
  while (written.load() < written_at_backup_end + 50) std::this_thread::yield();
  stop = true;
  writer.join();

  EXPECT_TRUE(summary.missing.empty());
  EXPECT_GE(summary.attachments, 20u);
  EXPECT_EQ(summary.bytes, fs::file_size(backup));
  EXPECT_FALSE(fs::exists(backup.string() + ".partial"));
  EXPECT_EQ(count_backup_rows(backup.string(), "aicc_backup_files"),
            count_backup_rows(backup.string(), "attachments"))
      << "every attachment the copy names has its bytes in it";

  const RestoreSummary restore = restore_backup(backup, restored.path(), files_of(restored.path()));
  EXPECT_EQ(restore.attachments, summary.attachments);
  EXPECT_EQ(restore.source, fs::absolute(live.path()).string());
  EXPECT_GT(restore.made_at, 0);

  SqliteChatStore after(restored.path());
  SqliteChatStore now(live.path());
  const auto restored_lengths = checked_lengths(after, seeded.streams);
  const auto live_lengths = checked_lengths(now, seeded.streams);
  for (const std::string& stream : seeded.streams) {
    // One instant: at least what was written before the backup began, less than what came after.
    EXPECT_GE(restored_lengths.at(stream), 50);
    EXPECT_LT(restored_lengths.at(stream), live_lengths.at(stream));
    const auto copy = after.read_messages(stream, 0, 1'000'000);
    const auto original = now.read_messages(stream, 0, restored_lengths.at(stream));
    ASSERT_EQ(copy.size(), original.size());
    for (std::size_t i = 0; i < copy.size(); ++i) {
      EXPECT_EQ(copy[i].message_id, original[i].message_id);
      EXPECT_EQ(copy[i].text, original[i].text);
    }
  }
  // Streams were written in turn, so the copy's lengths differ by one at most.
  EXPECT_LE(restored_lengths.begin()->second - restored_lengths.rbegin()->second, 1);
  for (std::size_t n = 0; n < summary.attachments; ++n) {
    const int id = n < 20 ? int(n) : 1000 + int(n - 20) * 10;
    const auto found = after.find_attachment("f_" + std::to_string(id));
    ASSERT_TRUE(found) << id;
    EXPECT_EQ(after.attachment_bytes("f_" + std::to_string(id)), bytes_of(id));
  }
  EXPECT_EQ(count_backup_rows(restored.path(), "sqlite_master WHERE name LIKE 'aicc_backup%'"), 0)
      << "the backup's own tables are gone from the restored database";
}

TEST(SqliteBackup, ARestoreReplacesWhatTheDatabaseHeldSince) {
  TempFile file;
  const fs::path backup = fs::path(file.path()).parent_path() / "before.sqlite";
  std::string stream;
  {
    SqliteChatStore store(file.path());
    stream = seed(store, 1).streams.front();
    for (int n = 0; n < 5; ++n) store.append_message(message_in(stream, n));
  }
  make_backup(file.path(), files_of(file.path()), backup);
  {
    SqliteChatStore store(file.path());
    for (int n = 5; n < 9; ++n) store.append_message(message_in(stream, n));
    ASSERT_EQ(store.last_seq(stream), 9);
  }
  restore_backup(backup, file.path(), files_of(file.path()));
  SqliteChatStore store(file.path());
  EXPECT_EQ(store.last_seq(stream), 5);
  EXPECT_EQ(store.append_message(message_in(stream, 100)).message.seq, 6)
      << "the restored stream goes on";
}

TEST(SqliteBackup, ABackupNeverOverwritesAndLeavesNothingWhenItFails) {
  TempFile file;
  { SqliteChatStore store(file.path()); }
  const fs::path folder = fs::path(file.path()).parent_path();
  const fs::path existing = folder / "taken.sqlite";
  std::ofstream(existing) << "keep me";
  EXPECT_THROW(make_backup(file.path(), files_of(file.path()), existing), std::runtime_error);
  std::ifstream kept(existing);
  std::string content((std::istreambuf_iterator<char>(kept)), std::istreambuf_iterator<char>());
  EXPECT_EQ(content, "keep me");

  const fs::path nowhere = folder / "no-such-folder" / "backup.sqlite";
  EXPECT_THROW(make_backup(file.path(), files_of(file.path()), nowhere), std::runtime_error);
  EXPECT_FALSE(fs::exists(nowhere.string() + ".partial"));
  EXPECT_THROW(make_backup((folder / "absent.db").string(), folder / "files", folder / "x.sqlite"),
               std::runtime_error);
  EXPECT_FALSE(fs::exists(folder / "x.sqlite"));
}

TEST(SqliteBackup, AMissingAttachmentFileIsReportedAndTheRestStillCopied) {
  TempFile file;
  const fs::path backup = fs::path(file.path()).parent_path() / "backup.sqlite";
  {
    SqliteChatStore store(file.path());
    const Seeded seeded = seed(store, 1);
    ASSERT_TRUE(store.add_attachment(attachment_in(seeded.room, 1), bytes_of(1)));
    ASSERT_TRUE(store.add_attachment(attachment_in(seeded.room, 2), bytes_of(2)));
  }
  fs::remove(files_of(file.path()) / "f_1");
  const BackupSummary summary = make_backup(file.path(), files_of(file.path()), backup);
  EXPECT_EQ(summary.attachments, 1u);
  EXPECT_EQ(summary.missing, std::vector<std::string>{"f_1"});
}

TEST(SqliteBackup, RestoreRefusesWhatIsNotABackupAndChangesNothing) {
  TempFile file;
  std::string stream;
  {
    SqliteChatStore store(file.path());
    stream = seed(store, 1).streams.front();
    store.append_message(message_in(stream, 1));
  }
  const fs::path folder = fs::path(file.path()).parent_path();
  const auto unchanged = [&] {
    SqliteChatStore store(file.path());
    EXPECT_EQ(store.last_seq(stream), 1);
  };

  // Not there; not SQLite; a database but not a backup.
  EXPECT_THROW(restore_backup(folder / "nothing.sqlite", file.path(), files_of(file.path())),
               std::runtime_error);
  std::ofstream(folder / "junk.sqlite") << std::string(10000, 'x');
  EXPECT_THROW(restore_backup(folder / "junk.sqlite", file.path(), files_of(file.path())),
               std::runtime_error);
  EXPECT_THROW(restore_backup(file.path(), file.path(), files_of(file.path())), std::runtime_error);
  unchanged();

  // A backup from a newer program.
  const fs::path newer = folder / "newer.sqlite";
  make_backup(file.path(), files_of(file.path()), newer);
  run_sql(newer.string(),
          "INSERT INTO schema_migrations VALUES ('chat', 999, 'from the future', 0)");
  try {
    restore_backup(newer, file.path(), files_of(file.path()));
    ADD_FAILURE() << "a newer schema was restored";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("version 999, newer than"), std::string::npos) << e.what();
  }
  unchanged();

  // An attachment name that would leave the folder.
  const fs::path hostile = folder / "hostile.sqlite";
  make_backup(file.path(), files_of(file.path()), hostile);
  run_sql(hostile.string(), "INSERT INTO aicc_backup_files VALUES ('../escaped', x'00')");
  EXPECT_THROW(restore_backup(hostile, file.path(), files_of(file.path())), std::runtime_error);
  EXPECT_FALSE(fs::exists(folder / "escaped"));
}

TEST(SqliteBackup, RestoreIsRefusedWhileAServerHoldsTheDatabase) {
  TempFile file;
  const fs::path backup = fs::path(file.path()).parent_path() / "backup.sqlite";
  { SqliteChatStore store(file.path()); }
  make_backup(file.path(), files_of(file.path()), backup);
  long holder = 0;
  auto server = DatabaseLock::try_take(file.path(), holder);
  ASSERT_TRUE(server);
  try {
    restore_backup(backup, file.path(), files_of(file.path()));
    ADD_FAILURE() << "restored under a running server";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("stop it before restoring"), std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find(std::to_string(::getpid())), std::string::npos)
        << e.what();
  }
  server.reset();
  EXPECT_NO_THROW(restore_backup(backup, file.path(), files_of(file.path())));
}

TEST(DatabaseLock, OneHolderAtATimeAndFreeOnceReleased) {
  TempFile file;
  long holder = 0;
  auto first = DatabaseLock::try_take(file.path(), holder);
  ASSERT_TRUE(first);
  // flock locks belong to an open file, so a second open in this process is refused like another
  // process would be.
  EXPECT_FALSE(DatabaseLock::try_take(file.path(), holder));
  EXPECT_EQ(holder, long(::getpid()));
  first.reset();
  EXPECT_TRUE(DatabaseLock::try_take(file.path(), holder));
}

}  // namespace
}  // namespace aicc::store::sqlite
