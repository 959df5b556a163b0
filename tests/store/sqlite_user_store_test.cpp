// The auth::UserStore contract, and the SQLite-specific behaviour of its SQLite adapter.
//
// The contract suite itself is in user_store_contract.hpp, shared with the PostgreSQL adapter.
#include "store/sqlite/sqlite_user_store.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "store/sqlite/database.hpp"
#include "temp_file.hpp"
#include "user_store_contract.hpp"
#include "util/random.hpp"

namespace aicc::store::contract {
namespace {

// Contract backends: open() gives a fresh store on first call and the same data on later calls
// when kPersistent.
struct SqliteUsersInMemory {
  static constexpr bool kPersistent = false;
  std::unique_ptr<UserStore> open() {
    return std::make_unique<sqlite::SqliteUserStore>(":memory:");
  }
};

struct SqliteUsersFile {
  static constexpr bool kPersistent = true;
  store::testing::TempFile file;
  std::unique_ptr<UserStore> open() {
    return std::make_unique<sqlite::SqliteUserStore>(file.path());
  }
};

using SqliteUserBackends = ::testing::Types<SqliteUsersInMemory, SqliteUsersFile>;
INSTANTIATE_TYPED_TEST_SUITE_P(Sqlite, UserStoreContract, SqliteUserBackends);

}  // namespace
}  // namespace aicc::store::contract

namespace aicc::store::sqlite {
namespace {

using namespace contract;  // the helpers

// ---------------------------------------------------------------------------------------------
// SQLite only: the connection set-up, statements, transactions and migrations.

std::int64_t count_user_rows(Database& db, std::string_view sql) {
  auto select = db.prepare(sql, "count rows");
  return select.step() ? select.column_int(0) : -1;
}

std::string pragma(Database& db, std::string_view sql) {
  auto select = db.prepare(sql, "read a pragma");
  return select.step() ? select.column_text(0) : std::string();
}

TEST(SqliteDatabase, OpensFilesInWalModeWithForeignKeysAndBusyTimeout) {
  store::testing::TempFile file;
  Database db(file.path());
  EXPECT_TRUE(std::filesystem::exists(file.path()));
  EXPECT_EQ(pragma(db, "PRAGMA journal_mode"), "wal");
  EXPECT_EQ(pragma(db, "PRAGMA synchronous"), "1");  // NORMAL
  EXPECT_EQ(pragma(db, "PRAGMA foreign_keys"), "1");
  EXPECT_EQ(pragma(db, "PRAGMA busy_timeout"), std::to_string(kBusyTimeoutMs));
}

TEST(SqliteDatabase, RefusesAFileThatIsNotADatabase) {
  store::testing::TempFile file;
  std::ofstream(file.path()) << std::string(4096, 'z');
  try {
    Database db(file.path());
    FAIL() << "opened a file of junk";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find("not a database"), std::string::npos) << error.what();
    EXPECT_NE(std::string(error.what()).find(file.path()), std::string::npos) << error.what();
  }
}

TEST(SqliteDatabase, ErrorsNameWhatWasBeingDoneAndSqlitesMessage) {
  Database db(":memory:");
  try {
    db.prepare("SELECT * FROM no_such_table", "read the missing table");
    FAIL() << "prepared a query on a missing table";
  } catch (const std::runtime_error& error) {
    const std::string text = error.what();
    EXPECT_NE(text.find("cannot read the missing table"), std::string::npos) << text;
    EXPECT_NE(text.find("no such table: no_such_table"), std::string::npos) << text;
  }
  db.execute("CREATE TABLE t (k TEXT PRIMARY KEY)", "create a table");
  db.prepare("INSERT INTO t VALUES ('a')", "insert a key").run();
  try {
    db.prepare("INSERT INTO t VALUES ('a')", "insert a key").run();
    FAIL() << "inserted a duplicate key";
  } catch (const std::runtime_error& error) {
    const std::string text = error.what();
    EXPECT_NE(text.find("cannot insert a key"), std::string::npos) << text;
    EXPECT_NE(text.find("UNIQUE constraint failed"), std::string::npos) << text;
  }
}

TEST(SqliteDatabase, ReusedStatementStartsCleanAfterAnAbandonedUse) {
  Database db(":memory:");
  db.execute("CREATE TABLE t (n INTEGER); INSERT INTO t VALUES (1), (2), (3);", "fill a table");
  {
    auto select = db.prepare("SELECT n FROM t WHERE n >= ?1 ORDER BY n", "read t");
    select.bind_int(1, 2);
    ASSERT_TRUE(select.step());
    EXPECT_EQ(select.column_int(0), 2);
    // Dropped in the middle of its rows, with a binding.
  }
  auto again = db.prepare("SELECT n FROM t WHERE n >= ?1 ORDER BY n", "read t");
  // The binding was cleared: NULL compares as unknown, so no row matches.
  EXPECT_FALSE(again.step());
}

TEST(SqliteDatabase, RefusesTwoUsesOfOneStatementAtOnce) {
  Database db(":memory:");
  auto first = db.prepare("SELECT 1", "select one");
  EXPECT_THROW(db.prepare("SELECT 1", "select one"), std::logic_error);
}

TEST(SqliteDatabase, RefusesSeveralStatementsInOnePrepare) {
  Database db(":memory:");
  EXPECT_THROW(db.prepare("SELECT 1; SELECT 2", "select twice"), std::logic_error);
  EXPECT_NO_THROW(db.prepare("SELECT 1;  \n", "select once").run());
}

TEST(SqliteDatabase, TransactionRollsBackWhenAnExceptionUnwindsThroughIt) {
  Database db(":memory:");
  db.execute("CREATE TABLE t (n INTEGER)", "create a table");
  try {
    Transaction transaction(db);
    db.prepare("INSERT INTO t VALUES (1)", "insert").run();
    EXPECT_TRUE(db.in_transaction());
    throw std::runtime_error("something failed half-way");
  } catch (const std::runtime_error&) {
  }
  EXPECT_FALSE(db.in_transaction());
  EXPECT_EQ(count_user_rows(db, "SELECT count(*) FROM t"), 0);

  {
    Transaction transaction(db);
    db.prepare("INSERT INTO t VALUES (1)", "insert").run();
    transaction.commit();
  }
  EXPECT_EQ(count_user_rows(db, "SELECT count(*) FROM t"), 1);
}

constexpr Migration kFirst{1, "create a", "CREATE TABLE a (n INTEGER);"};
constexpr Migration kSecond{2, "create b", "CREATE TABLE b (n INTEGER); INSERT INTO a VALUES (7);"};
constexpr Migration kBroken{3, "broken",
                            "CREATE TABLE c (n INTEGER); INSERT INTO nowhere VALUES (1);"};

TEST(SqliteMigrations, AppliesOnlyPendingMigrationsInOrder) {
  store::testing::TempFile file;
  {
    Database db(file.path());
    EXPECT_EQ(db.schema_version("test"), 0);
    const Migration first[] = {kFirst};
    db.migrate("test", first);
    EXPECT_EQ(db.schema_version("test"), 1);
  }
  Database db(file.path());
  const Migration both[] = {kFirst, kSecond};
  // Running the first script again would fail: table a already exists.
  db.migrate("test", both);
  db.migrate("test", both);
  EXPECT_EQ(db.schema_version("test"), 2);
  EXPECT_EQ(count_user_rows(db, "SELECT count(*) FROM a"), 1);
  EXPECT_EQ(count_user_rows(db, "SELECT count(*) FROM schema_migrations WHERE component = 'test'"),
            2);
  // Another component has its own sequence.
  EXPECT_EQ(db.schema_version("other"), 0);
}

TEST(SqliteMigrations, FailedMigrationLeavesNoTraceAndTheVersionUnchanged) {
  Database db(":memory:");
  const Migration all[] = {kFirst, kSecond, kBroken};
  try {
    db.migrate("test", all);
    FAIL() << "a broken migration was applied";
  } catch (const std::runtime_error& error) {
    const std::string text = error.what();
    EXPECT_NE(text.find("test migration 3 (broken)"), std::string::npos) << text;
    EXPECT_NE(text.find("no such table: nowhere"), std::string::npos) << text;
  }
  EXPECT_EQ(db.schema_version("test"), 2);
  EXPECT_FALSE(db.in_transaction());
  EXPECT_EQ(count_user_rows(db, "SELECT count(*) FROM sqlite_schema WHERE name = 'c'"), 0);
}

TEST(SqliteMigrations, RefusesMigrationsOutOfOrder) {
  Database db(":memory:");
  const Migration skipped[] = {kFirst, kBroken};
  EXPECT_THROW(db.migrate("test", skipped), std::logic_error);
}

TEST(SqliteUserStoreSchema, MigratesOnceAcrossReopens) {
  store::testing::TempFile file;
  {
    SqliteUserStore store(file.path());
    EXPECT_EQ(store.schema_version(), SqliteUserStore::latest_schema_version());
    ASSERT_TRUE(store.create_user(make_user("u_1", "alice")));
  }
  {
    SqliteUserStore store(file.path());
    EXPECT_EQ(store.schema_version(), SqliteUserStore::latest_schema_version());
    EXPECT_TRUE(store.find_user("u_1").has_value());
  }
  Database db(file.path());
  EXPECT_EQ(count_user_rows(db, "SELECT count(*) FROM schema_migrations WHERE component = 'auth'"),
            SqliteUserStore::latest_schema_version());
}

TEST(SqliteUserStoreSchema, RefusesADatabaseFromANewerProgram) {
  store::testing::TempFile file;
  { SqliteUserStore store(file.path()); }
  {
    Database db(file.path());
    db.execute(
        "INSERT INTO schema_migrations (component, version, description, applied_at) "
        "VALUES ('auth', 999, 'from the future', 0)",
        "pretend a newer program ran");
  }
  try {
    SqliteUserStore store(file.path());
    FAIL() << "opened a database from a newer program";
  } catch (const std::runtime_error& error) {
    const std::string text = error.what();
    EXPECT_NE(text.find("version 999"), std::string::npos) << text;
    EXPECT_NE(text.find("newer version"), std::string::npos) << text;
  }
}

TEST(SqliteUserStoreSchema, RefusesTokensOfUnknownUsers) {
  SqliteUserStore store(":memory:");
  EXPECT_THROW(store.insert_refresh_token(make_token("h1", "f1", "u_missing")), std::runtime_error);
}

// Many threads and two connections rotating the same tokens: with a negative grace no second use
// is allowed, so exactly one rotation of each token may win, however the calls interleave.
TEST(SqliteUserStoreConcurrency, ExactlyOneRotationOfATokenWins) {
  store::testing::TempFile file;
  SqliteUserStore first(file.path());
  SqliteUserStore second(file.path());
  ASSERT_TRUE(first.create_user(make_user("u_1", "alice")));
  constexpr int kTokens = 20;
  constexpr int kThreads = 4;
  for (int t = 0; t < kTokens; ++t) {
    first.insert_refresh_token(make_token("t" + std::to_string(t), "f", "u_1"));
  }
  std::atomic<int> rotated{0};
  std::atomic<int> reused{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      SqliteUserStore& store = i % 2 == 0 ? first : second;
      for (int t = 0; t < kTokens; ++t) {
        const auto next = make_token("t" + std::to_string(t) + "-" + std::to_string(i), "f", "u_1");
        switch (store.rotate_refresh_token("t" + std::to_string(t), next, kUserNow, -1)) {
          case RotateOutcome::kRotated:
            ++rotated;
            break;
          case RotateOutcome::kReused:
            ++reused;
            break;
          default:
            break;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(rotated.load(), kTokens);
  EXPECT_EQ(reused.load(), kTokens * (kThreads - 1));
}

}  // namespace
}  // namespace aicc::store::sqlite
