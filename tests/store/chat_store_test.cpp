// The chat::ChatStore contract, and the SQLite-specific behaviour of its SQLite adapter.
//
// The contract suite itself is in chat_store_contract.hpp, shared with the PostgreSQL adapter.
#include "chat/chat_store.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "chat/routing.hpp"
#include "chat_store_contract.hpp"
#include "store/sqlite/database.hpp"
#include "store/sqlite/sqlite_chat_store.hpp"
#include "store/sqlite/sqlite_user_store.hpp"
#include "temp_file.hpp"
#include "util/random.hpp"

namespace aicc::store::contract {
namespace {

// Contract backends: open() gives a fresh store on first call and the same data on later calls
// when kPersistent.
struct SqliteInMemory {
  static constexpr bool kPersistent = false;
  std::unique_ptr<ChatStore> open() {
    return std::make_unique<sqlite::SqliteChatStore>(":memory:");
  }
};

struct SqliteFile {
  static constexpr bool kPersistent = true;
  store::testing::TempFile file;
  std::unique_ptr<ChatStore> open() {
    return std::make_unique<sqlite::SqliteChatStore>(file.path());
  }
};

using SqliteBackends = ::testing::Types<SqliteInMemory, SqliteFile>;
INSTANTIATE_TYPED_TEST_SUITE_P(Sqlite, ChatStoreContract, SqliteBackends);

}  // namespace
}  // namespace aicc::store::contract

namespace aicc::store::sqlite {
namespace {

using namespace contract;  // the helpers

// ---------------------------------------------------------------------------------------------
// SQLite only: the schema and several connections on one file.

std::int64_t count_rows(Database& db, std::string_view sql) {
  auto select = db.prepare(sql, "count rows");
  return select.step() ? select.column_int(0) : -1;
}

TEST(SqliteChatStoreSchema, MigratesOnceAcrossReopensBesideTheUserSchema) {
  store::testing::TempFile file;
  {
    SqliteChatStore store(file.path());
    EXPECT_EQ(store.schema_version(), SqliteChatStore::latest_schema_version());
    store.get_or_create_conversation("cust_1", "c_1", kNow);
  }
  {
    // The user store shares the file with its own component.
    SqliteUserStore users(file.path());
    SqliteChatStore store(file.path());
    EXPECT_EQ(store.schema_version(), SqliteChatStore::latest_schema_version());
    EXPECT_EQ(users.schema_version(), SqliteUserStore::latest_schema_version());
    EXPECT_TRUE(store.find_conversation("c_1").has_value());
  }
  Database db(file.path());
  EXPECT_EQ(count_rows(db, "SELECT count(*) FROM schema_migrations WHERE component = 'chat'"),
            SqliteChatStore::latest_schema_version());
  EXPECT_EQ(count_rows(db, "SELECT count(*) FROM schema_migrations WHERE component = 'auth'"),
            SqliteUserStore::latest_schema_version());
}

TEST(SqliteChatStoreSchema, RefusesADatabaseFromANewerProgram) {
  store::testing::TempFile file;
  { SqliteChatStore store(file.path()); }
  {
    Database db(file.path());
    db.execute(
        "INSERT INTO schema_migrations (component, version, description, applied_at) "
        "VALUES ('chat', 999, 'from the future', 0)",
        "pretend a newer program ran");
  }
  try {
    SqliteChatStore store(file.path());
    FAIL() << "opened a database from a newer program";
  } catch (const std::runtime_error& error) {
    const std::string text = error.what();
    EXPECT_NE(text.find("chat schema is at version 999"), std::string::npos) << text;
  }
}

// The plan of each hot query searches an index rather than scanning a table (the primary key of
// messages is its (stream_id, seq) index).
TEST(SqliteChatStoreSchema, HotQueriesUseTheirIndexes) {
  store::testing::TempFile file;
  { SqliteChatStore store(file.path()); }  // creates the schema
  Database db(file.path());
  const auto plan = [&](std::string_view sql) {
    std::string text;
    auto select = db.prepare("EXPLAIN QUERY PLAN " + std::string(sql), "explain a query");
    while (select.step()) text += select.column_text(3) + "\n";
    return text;
  };
  const auto expect_index = [&](std::string_view sql, std::string_view index) {
    const std::string text = plan(sql);
    EXPECT_NE(text.find(index), std::string::npos) << sql << "\n" << text;
  };
  expect_index("SELECT * FROM messages WHERE stream_id = 'a' AND seq > 3 ORDER BY seq LIMIT 5",
               "(stream_id=? AND seq>?)");
  EXPECT_EQ(plan("SELECT * FROM messages WHERE stream_id = 'a' AND seq > 3 ORDER BY seq LIMIT 5")
                .find("TEMP B-TREE"),
            std::string::npos);
  expect_index("SELECT max(seq) FROM messages WHERE stream_id = 'a'", "(stream_id=?)");
  expect_index(
      "SELECT * FROM messages WHERE stream_id = 'a' AND sender_id = 'b' "
      "AND client_message_id = 'c' AND client_message_id <> ''",
      "messages_client_id");
  expect_index("SELECT * FROM messages WHERE reply_to = 'a' AND reply_to <> ''",
               "messages_reply_to");
  expect_index("SELECT * FROM rooms WHERE closed_at IS NULL ORDER BY created_at, id", "rooms_open");
  expect_index("SELECT * FROM audit_log WHERE request_id = 'r' ORDER BY id", "audit_log_request");
  expect_index("SELECT * FROM audit_log WHERE at >= 5 AND at < 9", "audit_log_at");
  expect_index("SELECT * FROM audit_log WHERE agent_id = 'a' OR from_agent_id = 'a' ORDER BY id",
               "audit_log_from_agent");
  expect_index(
      "SELECT id, shortcut, text FROM canned_responses WHERE agent_id = 'a' ORDER BY position",
      "PRIMARY KEY (agent_id=?)");
}

// A database written by the first release (chat schema 1) gains the later tables (canned
// responses, the routing authority, the agents) on the next start and keeps everything it had.
TEST(SqliteChatStoreSchema, UpgradesAVersionOneDatabaseKeepingItsData) {
  store::testing::TempFile file;
  {
    SqliteChatStore store(file.path());
    store.get_or_create_conversation("cust_1", "c_1", kNow);
    chat::MessageRecord old;
    old.stream_id = "c_1";
    old.message_id = "m_old";
    old.sender_id = "cust_1";
    old.created_at = kNow;
    ASSERT_EQ(store.append_message(old).status, chat::AppendStatus::kStored);
    ASSERT_TRUE(store.create_room(chat::RoomRecord{.id = "r_old",
                                                   .conversation_id = "c_1",
                                                   .request_id = "q_1",
                                                   .customer_id = "cust_1",
                                                   .agent_id = "agent_1",
                                                   .created_at = kNow}));
    old.stream_id = "r_old";
    old.message_id = "m_old_room";
    old.text = "receipt of the refund";
    ASSERT_EQ(store.append_message(old).status, chat::AppendStatus::kStored);
  }
  {
    // Back to what version 1 left: no later tables, no record of the later migrations.
    Database db(file.path());
    db.execute(
        "DROP TABLE canned_responses; DROP TABLE routing_authority; DROP TABLE routing_agents; "
        "DROP INDEX routing_requests_by_customer; ALTER TABLE messages DROP COLUMN sender_name; "
        "DROP TABLE room_notes; DROP TABLE customer_context; "
        "DROP TABLE room_text; DROP TRIGGER rooms_agent_insert; DROP TRIGGER rooms_agent_update; "
        "DROP TABLE room_agents; DROP INDEX rooms_created; DROP INDEX rooms_agent; DROP INDEX "
        "rooms_customer; ALTER TABLE rooms DROP COLUMN category; ALTER TABLE rooms DROP COLUMN "
        "customer_name; DROP TABLE attachments; ALTER TABLE messages DROP COLUMN attachments; "
        "DROP TABLE pending_file_removals; ALTER TABLE streams DROP COLUMN purged_seq; "
        "DROP TABLE bot_ratings; "
        "DELETE FROM schema_migrations "
        "WHERE component = 'chat' AND version > 1",
        "pretend the database is at chat schema 1");
    EXPECT_EQ(db.schema_version("chat"), 1);
  }
  SqliteChatStore store(file.path());
  EXPECT_EQ(SqliteChatStore::latest_schema_version(), 13);
  EXPECT_EQ(store.schema_version(), 13);
  EXPECT_FALSE(store.has_open_request("cust_1"));  // its index came back with migration 5
  EXPECT_TRUE(store.find_conversation("c_1").has_value());
  // Messages stored before migration 6 read with no sender name; new ones keep theirs.
  EXPECT_EQ(store.read_messages("c_1", 0, 10).at(0).sender_name, "");
  chat::MessageRecord named;
  named.stream_id = "c_1";
  named.message_id = "m_named";
  named.sender_id = "cust_1";
  named.sender_name = "Kim";
  named.created_at = kNow;
  ASSERT_EQ(store.append_message(named).status, chat::AppendStatus::kStored);
  EXPECT_EQ(store.read_messages("c_1", 1, 10).at(0).sender_name, "Kim");
  store.replace_canned_responses("agent_1", make_canned("u", 2));
  EXPECT_EQ(store.canned_responses("agent_1").size(), 2u);
  EXPECT_TRUE(store.claim_routing_authority("node", kNow, 1000).has_value());
  // Migration 8 indexed the rooms' messages written before it, and gave old rooms no category.
  const auto found = store.search_rooms({.words = {"refund"}});
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].room.id, "r_old");
  EXPECT_EQ(found[0].room.category, "");
  EXPECT_EQ(store.room_agents("r_old"), (std::vector<std::string>{"agent_1"}));
}

// Two connections (two processes, or two stores on one file) appending to one stream: BEGIN
// IMMEDIATE makes the read of the last seq and the insert one step, so no seq is taken twice.
TEST(SqliteChatStoreConcurrency, TwoConnectionsAppendingToOneStreamLeaveNoGap) {
  store::testing::TempFile file;
  SqliteChatStore first(file.path());
  SqliteChatStore second(file.path());
  const std::string stream = first.get_or_create_conversation("cust_1", "c_1", kNow).id;
  constexpr int kThreads = 4;
  constexpr int kEach = 200;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      SqliteChatStore& store = t % 2 == 0 ? first : second;
      for (int i = 0; i < kEach; ++i) {
        const std::string id = std::to_string(t) + "-" + std::to_string(i);
        EXPECT_EQ(store.append_message(make_message(stream, "m_" + id, "cm_" + id)).status,
                  AppendStatus::kStored);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  const auto messages = second.read_messages(stream, 0, 10 * kThreads * kEach);
  ASSERT_EQ(messages.size(), static_cast<std::size_t>(kThreads * kEach));
  for (std::size_t i = 0; i < messages.size(); ++i) {
    EXPECT_EQ(messages[i].seq, static_cast<std::int64_t>(i + 1));
  }
}

}  // namespace
}  // namespace aicc::store::sqlite
