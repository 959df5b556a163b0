#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "store/sqlite/database.hpp"
#include "temp_file.hpp"

namespace aicc::store::sqlite {
namespace {

using testing::TempFile;

std::uintmax_t size_of(const std::string& path) {
  std::error_code error;
  const auto size = std::filesystem::file_size(path, error);
  return error ? 0 : size;
}

void insert_rows(Database& db, int rows) {
  for (int i = 0; i < rows; ++i) {
    Transaction transaction(db);
    db.prepare("INSERT INTO t VALUES (randomblob(8000))", "insert a row").run();
    transaction.commit();
  }
}

// The main file grows only when a checkpoint copies pages out of the WAL into it.
TEST(SqliteCheckpoints, RunOnTheirOwnThreadOnceTheWalPassesTheLine) {
  TempFile file;
  Database db(file.path());
  db.execute("CREATE TABLE t (x BLOB)", "create a table");
  db.checkpoint_in_background(20);
  const auto before = size_of(file.path());
  insert_rows(db, 60);  // about 120 pages
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (size_of(file.path()) < before + 200'000 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_GE(size_of(file.path()), before + 200'000) << "no checkpoint copied the rows";
  // Everything written is still there, and the database closes with its thread stopped.
  auto count = db.prepare("SELECT count(*) FROM t", "count the rows");
  ASSERT_TRUE(count.step());
  EXPECT_EQ(count.column_int(0), 60);
}

TEST(SqliteCheckpoints, NoneRunsInACommitOnceTheyAreInTheBackground) {
  TempFile file;
  Database db(file.path());
  db.execute("CREATE TABLE t (x BLOB)", "create a table");
  // A line the WAL never reaches: SQLite's own checkpoint (every 1000 pages) must be off too.
  db.checkpoint_in_background(1'000'000);
  const auto before = size_of(file.path());
  insert_rows(db, 600);  // about 1200 pages, past SQLite's default line
  EXPECT_EQ(size_of(file.path()), before);
  EXPECT_GT(size_of(file.path() + "-wal"), 4'000'000u);
}

TEST(SqliteCheckpoints, AWriterThatNeverPausesStillKeepsTheWalSmall) {
  TempFile file;
  Database db(file.path());
  db.execute("CREATE TABLE t (x BLOB)", "create a table");
  db.checkpoint_in_background(20);
  insert_rows(db, 1500);  // about 3000 pages, back to back
  // The WAL restarts from its beginning once everything in it was copied; without the copy made
  // between transactions past twice the line it would hold every page written (about 12 MB).
  // While the background holds the copy, that copy waits for a later commit: some slack.
  EXPECT_LT(size_of(file.path() + "-wal"), 3'000'000u);
  auto count = db.prepare("SELECT count(*) FROM t", "count the rows");
  ASSERT_TRUE(count.step());
  EXPECT_EQ(count.column_int(0), 1500);
}

TEST(SqliteCheckpoints, AnInMemoryDatabaseHasNone) {
  Database db(":memory:");
  db.checkpoint_in_background(1);  // nothing to do, and no thread to stop
  db.execute("CREATE TABLE t (x BLOB)", "create a table");
  insert_rows(db, 3);
}

}  // namespace
}  // namespace aicc::store::sqlite
