// The PostgreSQL user store and the connection layer under both adapters: the shared contract
// suite, then the pool, the connection wrapper and rotations racing between nodes (two pools on
// one database stand for two nodes).
#include "store/postgres/postgres_user_store.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "../store/user_store_contract.hpp"
#include "store/postgres/connection.hpp"
#include "store/postgres/pool.hpp"
#include "test_server.hpp"

namespace aicc::store::contract {
namespace {

using postgres::Pool;
using postgres::PostgresUserStore;

std::shared_ptr<Pool> user_pool_on(const std::string& schema, std::size_t size = 4) {
  return std::make_shared<Pool>(postgres::testing::schema_url(schema), size,
                                std::chrono::seconds(10));
}

// A fresh schema per test; a reopen is a new pool (new connections) on the same schema.
struct PostgresUsers {
  static constexpr bool kPersistent = true;
  std::string schema = postgres::testing::fresh_schema();
  std::unique_ptr<UserStore> open() {
    return std::make_unique<PostgresUserStore>(user_pool_on(schema));
  }
};

INSTANTIATE_TYPED_TEST_SUITE_P(Postgres, UserStoreContract, ::testing::Types<PostgresUsers>);

}  // namespace
}  // namespace aicc::store::contract

namespace aicc::store::postgres {
namespace {

using contract::make_token;
using contract::make_user;

std::shared_ptr<Pool> pool_of(const std::string& schema, std::size_t size,
                              std::chrono::milliseconds wait = std::chrono::seconds(10)) {
  return std::make_shared<Pool>(testing::schema_url(schema), size, wait);
}

// The same refresh token presented to two nodes at once, many times over: exactly one rotation
// wins each time; the other sees it rotated (within the grace a second rotation is allowed, so
// the grace is -1 here: any earlier rotation is reuse).
TEST(PostgresUserStoreNodes, ExactlyOneRotationOfATokenWinsAcrossNodes) {
  const std::string schema = testing::fresh_schema();
  PostgresUserStore node_a(pool_of(schema, 2));
  PostgresUserStore node_b(pool_of(schema, 2));
  ASSERT_TRUE(node_a.create_user(make_user("u_1", "alice")));
  for (int round = 0; round < 40; ++round) {
    const std::string old_hash = "old_" + std::to_string(round);
    node_a.insert_refresh_token(make_token(old_hash, "f_" + std::to_string(round), "u_1"));
    std::atomic<int> rotated{0};
    std::atomic<int> reused{0};
    std::thread a([&] {
      const auto outcome = node_a.rotate_refresh_token(
          old_hash, make_token("a_" + std::to_string(round), "f", "u_1"), contract::kUserNow + 5,
          -1);
      (outcome == auth::RotateOutcome::kRotated ? rotated : reused).fetch_add(1);
    });
    std::thread b([&] {
      const auto outcome = node_b.rotate_refresh_token(
          old_hash, make_token("b_" + std::to_string(round), "f", "u_1"), contract::kUserNow + 5,
          -1);
      (outcome == auth::RotateOutcome::kRotated ? rotated : reused).fetch_add(1);
    });
    a.join();
    b.join();
    EXPECT_EQ(rotated.load(), 1) << "round " << round;
    EXPECT_EQ(reused.load(), 1) << "round " << round;
  }
}

TEST(PostgresPool, ReconnectsAfterTheServerDroppedItsConnections) {
  const std::string schema = testing::fresh_schema();
  auto pool = pool_of(schema, 2);
  PostgresUserStore store(pool);
  ASSERT_TRUE(store.create_user(make_user("u_1", "alice")));
  // What a PostgreSQL restart or a cut network does to every open connection.
  Connection admin(testing::server_url());
  admin
      .query(
          "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
          "WHERE application_name = $1",
          "drop the store's connections")
      .label(schema)
      .run();
  // The call that meets the dead connection fails (the caller answers store_unavailable) ...
  int failures = 0;
  std::optional<auth::User> found;
  for (int attempt = 0; attempt < 4 && !found; ++attempt) {
    try {
      found = store.find_user("u_1");
    } catch (const std::runtime_error&) {
      ++failures;
    }
  }
  // ... and the next ones reconnect.
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->username, "alice");
  EXPECT_LE(failures, 2);
  EXPECT_EQ(pool->figures().errors, static_cast<std::uint64_t>(failures));
  EXPECT_GE(pool->figures().reconnects, static_cast<std::uint64_t>(failures));
}

TEST(PostgresPool, AFullPoolRefusesAfterItsWaitAndSaysWhy) {
  auto pool = pool_of(testing::fresh_schema(), 1, std::chrono::milliseconds(50));
  auto held = pool->lease();
  EXPECT_EQ(pool->figures().in_use, 1u);
  try {
    auto second = pool->lease();
    FAIL() << "a second lease from a pool of one";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no PostgreSQL connection became free within 50 ms"),
              std::string::npos)
        << e.what();
  }
}

TEST(PostgresConnection, ErrorsNameWhatWasBeingDoneAndTheSqlstateButNeverThePassword) {
  try {
    Connection refused("postgresql://aicc:s3cret-word@127.0.0.1:1/aicc?connect_timeout=2");
    FAIL() << "connected to port 1";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("cannot connect to PostgreSQL 127.0.0.1:1/aicc"), std::string::npos)
        << message;
    EXPECT_EQ(message.find("s3cret"), std::string::npos) << message;
  }
  Connection db(testing::server_url());
  try {
    db.query("SELECT * FROM no_such_table WHERE id = $1", "read the missing table").text("x").run();
    FAIL() << "read a table that does not exist";
  } catch (const Error& e) {
    EXPECT_EQ(e.sqlstate(), "42P01");
    EXPECT_NE(std::string(e.what()).find("cannot read the missing table"), std::string::npos);
  }
}

TEST(PostgresConnection, ReadsEveryIntegerWidthAndBytesExactly) {
  Connection db(testing::server_url());
  const std::string bytes("a\0b\xff'\"", 6);
  const Rows rows = db.query(
                          "SELECT (-2)::smallint, (-70000)::integer, $1::bigint, $2::bytea, "
                          "NULL::bigint, $3::boolean, 2.5::double precision",
                          "read typed values")
                        .integer(-(std::int64_t{1} << 40))
                        .text(bytes)
                        .boolean(true)
                        .run();
  EXPECT_EQ(rows.integer(0, 0), -2);
  EXPECT_EQ(rows.integer(0, 1), -70000);
  EXPECT_EQ(rows.integer(0, 2), -(std::int64_t{1} << 40));
  EXPECT_EQ(rows.text(0, 3), bytes);
  EXPECT_TRUE(rows.is_null(0, 4));
  EXPECT_EQ(rows.integer(0, 4), 0);
  EXPECT_TRUE(rows.boolean(0, 5));
  EXPECT_DOUBLE_EQ(rows.real(0, 6), 2.5);
  EXPECT_THROW((void)rows.text(1, 0), std::out_of_range);
}

TEST(PostgresConnection, TransactionRollsBackWhenAnExceptionUnwindsThroughIt) {
  const std::string schema = testing::fresh_schema();
  Connection db(testing::schema_url(schema));
  db.execute("CREATE TABLE t (id BIGINT PRIMARY KEY)", "create a table");
  try {
    Transaction transaction(db);
    db.query("INSERT INTO t (id) VALUES ($1)", "insert").integer(1).run();
    throw std::runtime_error("unwinding");
  } catch (const std::runtime_error&) {
  }
  EXPECT_EQ(db.query("SELECT count(*) FROM t", "count").run().integer(0, 0), 0);
  {
    Transaction transaction(db);
    db.query("INSERT INTO t (id) VALUES ($1)", "insert").integer(2).run();
    transaction.commit();
  }
  EXPECT_EQ(db.query("SELECT count(*) FROM t", "count").run().integer(0, 0), 1);
}

}  // namespace
}  // namespace aicc::store::postgres
