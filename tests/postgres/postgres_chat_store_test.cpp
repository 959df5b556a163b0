// The PostgreSQL chat store: the shared contract suite, then what only PostgreSQL has: migrations
// run by several nodes at once and appends racing between nodes (two pools on one database stand
// for two nodes).
#include "store/postgres/postgres_chat_store.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "../store/chat_store_contract.hpp"
#include "store/postgres/connection.hpp"
#include "store/postgres/pool.hpp"
#include "test_server.hpp"

namespace aicc::store::contract {
namespace {

using postgres::Pool;
using postgres::PostgresChatStore;

std::shared_ptr<Pool> pool_on(const std::string& schema, std::size_t size = 4) {
  return std::make_shared<Pool>(postgres::testing::schema_url(schema), size,
                                std::chrono::seconds(10));
}

// A fresh schema per test; a reopen is a new pool (new connections) on the same schema.
struct PostgresChat {
  static constexpr bool kPersistent = true;
  std::string schema = postgres::testing::fresh_schema();
  std::unique_ptr<ChatStore> open() { return std::make_unique<PostgresChatStore>(pool_on(schema)); }
};

INSTANTIATE_TYPED_TEST_SUITE_P(Postgres, ChatStoreContract, ::testing::Types<PostgresChat>);

}  // namespace
}  // namespace aicc::store::contract

namespace aicc::store::postgres {
namespace {

using contract::make_message;
using contract::make_room;

// Two nodes (two pools, each with several connections) append to one room and to one
// conversation at once, each also retrying some of its own messages: every stream's seq is
// 1..N without a gap or a repeat, and every retry got the first copy back.
TEST(PostgresChatStoreNodes, AppendsFromTwoNodesToOneStreamLeaveNoGap) {
  const std::string schema = testing::fresh_schema();
  PostgresChatStore node_a(
      std::make_shared<Pool>(testing::schema_url(schema), 4, std::chrono::seconds(10)));
  PostgresChatStore node_b(
      std::make_shared<Pool>(testing::schema_url(schema), 4, std::chrono::seconds(10)));
  const std::string conversation =
      node_a.get_or_create_conversation("cust_1", "c_cust_1", contract::kNow).id;
  ASSERT_TRUE(node_b.create_room(make_room("r_1", conversation, "cust_1")));

  constexpr int kThreadsPerNode = 3;
  constexpr int kEach = 150;
  std::atomic<int> duplicates_answered{0};
  std::vector<std::thread> threads;
  for (int node = 0; node < 2; ++node) {
    for (int t = 0; t < kThreadsPerNode; ++t) {
      threads.emplace_back([&, node, t] {
        chat::ChatStore& store = node == 0 ? static_cast<chat::ChatStore&>(node_a) : node_b;
        const std::string sender = "sender_" + std::to_string(node) + std::to_string(t);
        for (int i = 0; i < kEach; ++i) {
          const std::string stream = i % 2 == 0 ? std::string("r_1") : conversation;
          const std::string id = sender + "-" + std::to_string(i);
          const auto message = make_message(stream, "m_" + id, "cm_" + id, sender);
          ASSERT_EQ(store.append_message(message).status, chat::AppendStatus::kStored);
          if (i % 10 == 0) {
            const auto again = store.append_message(message);
            EXPECT_EQ(again.status, chat::AppendStatus::kDuplicate);
            EXPECT_EQ(again.message.message_id, "m_" + id);
            duplicates_answered.fetch_add(1);
          }
        }
      });
    }
  }
  for (auto& thread : threads) thread.join();

  for (const std::string& stream : {std::string("r_1"), conversation}) {
    const auto messages = node_a.read_messages(stream, 0, 100000);
    ASSERT_EQ(messages.size(), static_cast<std::size_t>(2 * kThreadsPerNode * kEach / 2));
    std::set<std::string> ids;
    for (std::size_t i = 0; i < messages.size(); ++i) {
      EXPECT_EQ(messages[i].seq, static_cast<std::int64_t>(i + 1)) << stream;
      ids.insert(messages[i].message_id);
    }
    EXPECT_EQ(ids.size(), messages.size());
    EXPECT_EQ(node_b.last_seq(stream), static_cast<std::int64_t>(messages.size()));
    EXPECT_EQ(node_b.find_stream(stream)->last_seq, static_cast<std::int64_t>(messages.size()));
  }
  EXPECT_EQ(duplicates_answered.load(), 2 * kThreadsPerNode * (kEach / 10));
}

// Nodes starting together against an empty database: each migrates or waits for the one that
// does; every step is applied once.
TEST(PostgresChatStoreNodes, NodesStartingTogetherMigrateOnce) {
  const std::string schema = testing::fresh_schema();
  std::vector<std::thread> threads;
  std::atomic<int> started{0};
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      PostgresChatStore store(
          std::make_shared<Pool>(testing::schema_url(schema), 1, std::chrono::seconds(10)));
      started.fetch_add(1);
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(started.load(), 4);
  Connection db(testing::schema_url(schema));
  const Rows rows = db.query(
                          "SELECT count(*), max(version) FROM schema_migrations "
                          "WHERE component = 'chat'",
                          "count the migrations")
                        .run();
  EXPECT_EQ(rows.integer(0, 0), PostgresChatStore::latest_schema_version());
  EXPECT_EQ(rows.integer(0, 1), PostgresChatStore::latest_schema_version());
}

// Two nodes claiming the free authority at the same moment: exactly one gets it, every time.
TEST(PostgresChatStoreNodes, ExactlyOneOfTwoNodesClaimingTogetherGetsTheAuthority) {
  const std::string schema = testing::fresh_schema();
  PostgresChatStore node_a(
      std::make_shared<Pool>(testing::schema_url(schema), 2, std::chrono::seconds(10)));
  PostgresChatStore node_b(
      std::make_shared<Pool>(testing::schema_url(schema), 2, std::chrono::seconds(10)));
  std::int64_t last_epoch = 0;
  for (int round = 0; round < 50; ++round) {
    const chat::Millis now = 1000 * (round + 1);  // every earlier lease (1 ms) has run out
    std::optional<chat::AuthorityGrant> a, b;
    std::thread ta(
        [&] { a = node_a.claim_routing_authority("a-" + std::to_string(round), now, 1); });
    std::thread tb(
        [&] { b = node_b.claim_routing_authority("b-" + std::to_string(round), now, 1); });
    ta.join();
    tb.join();
    ASSERT_NE(a.has_value(), b.has_value()) << "round " << round;
    const std::int64_t epoch = a ? a->epoch : b->epoch;
    EXPECT_EQ(epoch, last_epoch + 1);
    last_epoch = epoch;
  }
}

// A former authority still deciding while another node takes over: its write lands before the
// takeover (and the new authority's later writes follow it) or not at all, never after.
TEST(PostgresChatStoreNodes, AStaleAuthorityNeverWritesAfterItsSuccessor) {
  const std::string schema = testing::fresh_schema();
  PostgresChatStore old_node(
      std::make_shared<Pool>(testing::schema_url(schema), 2, std::chrono::seconds(10)));
  PostgresChatStore new_node(
      std::make_shared<Pool>(testing::schema_url(schema), 2, std::chrono::seconds(10)));
  for (int round = 0; round < 40; ++round) {
    const chat::Millis now = 10'000 * (round + 1);
    const std::int64_t old_epoch = old_node.claim_routing_authority("old", now, 1)->epoch;
    chat::RequestRecord record;
    record.id = "req_" + std::to_string(round);
    record.customer = {.id = "cust", .display_name = "Kim"};
    record.requested_at = now;
    bool stale_written = false;
    std::thread stale([&] {
      stale_written = old_node.apply_routing_writes(old_epoch, {chat::StoreUpsert{record}});
    });
    std::thread takeover([&] {
      const auto grant = new_node.claim_routing_authority("new", now + 5, 1);
      ASSERT_TRUE(grant.has_value());
      // The successor's decision: the request is gone.
      ASSERT_TRUE(new_node.apply_routing_writes(grant->epoch, {chat::StoreErase{record.id}}));
    });
    stale.join();
    takeover.join();
    // Written or refused, the stale request never outlives the successor's erase.
    EXPECT_TRUE(new_node.load_requests().empty())
        << "round " << round << ", stale write " << (stale_written ? "landed first" : "refused");
  }
}

TEST(PostgresChatStoreSchema, RefusesADatabaseFromANewerProgram) {
  const std::string schema = testing::fresh_schema();
  {
    PostgresChatStore store(
        std::make_shared<Pool>(testing::schema_url(schema), 1, std::chrono::seconds(10)));
  }
  Connection db(testing::schema_url(schema));
  db.execute(
      "INSERT INTO schema_migrations (component, version, description) "
      "VALUES ('chat', 99, 'from the future')",
      "pretend a newer program ran");
  try {
    PostgresChatStore store(
        std::make_shared<Pool>(testing::schema_url(schema), 1, std::chrono::seconds(10)));
    FAIL() << "opened a schema from a newer program";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("chat schema is at version 99, newer than the"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace aicc::store::postgres
