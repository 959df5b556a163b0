// The shared state in a real redis-server (private to each test), as two nodes see it: a value put
// by one is taken once by either, a key added by one is known to the other, failures recorded on
// both count together, and an unreachable Redis is an exception (never a silent pass) that ends
// when Redis is back, and a restart under a pooled connection goes unnoticed.
#include "net/redis_shared_state.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "private_redis.hpp"

namespace aicc::net {
namespace {

using testing::free_port;
using testing::PrivateRedis;

TEST(RedisSharedState, AValuePutOnOneNodeIsTakenOnceOnAnother) {
  PrivateRedis redis;
  RedisSharedState node1(redis.address());
  RedisSharedState node3(redis.address());
  node1.put("ticket:t1", "{\"sub\":\"u1\"}", 30);
  EXPECT_EQ(node3.get("ticket:t1"), "{\"sub\":\"u1\"}");  // read, left in place
  EXPECT_EQ(node3.take("ticket:t1"), "{\"sub\":\"u1\"}");
  EXPECT_EQ(node1.take("ticket:t1"), std::nullopt);
  EXPECT_EQ(node3.take("ticket:t1"), std::nullopt);
  EXPECT_EQ(node1.get("ticket:t1"), std::nullopt);
}

TEST(RedisSharedState, OfConcurrentTakersOnSeveralNodesExactlyOneWins) {
  PrivateRedis redis;
  std::vector<std::unique_ptr<RedisSharedState>> nodes;
  for (int i = 0; i < 3; ++i) nodes.push_back(std::make_unique<RedisSharedState>(redis.address()));
  for (int round = 0; round < 50; ++round) {
    const std::string key = "ticket:" + std::to_string(round);
    nodes[0]->put(key, "v", 30);
    std::atomic<int> winners{0};
    std::vector<std::thread> takers;
    for (int i = 0; i < 6; ++i) {
      takers.emplace_back([&, i] {
        if (nodes[i % 3]->take(key)) winners.fetch_add(1);
      });
    }
    for (auto& taker : takers) taker.join();
    ASSERT_EQ(winners.load(), 1) << "round " << round;
  }
}

TEST(RedisSharedState, AKeyAddedOnOneNodeIsKnownOnTheOther) {
  PrivateRedis redis;
  RedisSharedState node1(redis.address());
  RedisSharedState node2(redis.address());
  EXPECT_TRUE(node1.add("webhook:abc", 60));
  EXPECT_FALSE(node2.add("webhook:abc", 60));
  EXPECT_FALSE(node1.add("webhook:abc", 60));
  EXPECT_TRUE(node2.add("webhook:other", 60));
}

TEST(RedisSharedState, EventsRecordedOnEveryNodeCountTogetherInOneWindow) {
  PrivateRedis redis;
  RedisSharedState node1(redis.address());
  RedisSharedState node2(redis.address());
  const std::int64_t t = 1'800'000'000;
  node1.events("fail", t, 900, 5, true);
  node2.events("fail", t, 900, 5, true);  // the same second on two nodes: two events
  node1.events("fail", t + 100, 900, 5, true);
  EXPECT_EQ(node2.events("fail", t + 100, 900, 5, false),
            (std::vector<std::int64_t>{t, t, t + 100}));
  // Only the newest `keep` are kept; the window forgets the rest.
  for (int i = 0; i < 10; ++i) node2.events("fail", t + 200, 900, 5, true);
  EXPECT_EQ(node1.events("fail", t + 200, 900, 5, false).size(), 5u);
  EXPECT_TRUE(node1.events("fail", t + 1100, 900, 5, false).empty());
  node1.events("fail", t + 1100, 900, 5, true);
  node2.clear("fail");
  EXPECT_TRUE(node1.events("fail", t + 1100, 900, 5, false).empty());
}

TEST(RedisSharedState, ReservationsFromSeveralNodesAtOnceNeverPassTheLimit) {
  PrivateRedis redis;
  std::vector<std::unique_ptr<RedisSharedState>> nodes;
  for (int i = 0; i < 3; ++i) nodes.push_back(std::make_unique<RedisSharedState>(redis.address()));
  const std::int64_t t = 1'800'000'000;
  std::atomic<int> recorded{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 6; ++i) {
    threads.emplace_back([&, i] {
      for (int j = 0; j < 5; ++j) {
        const std::string member = std::to_string(i) + "-" + std::to_string(j);
        if (nodes[i % 3]->reserve("login", member, t, 900, 5).recorded) recorded.fetch_add(1);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(recorded.load(), 5);
  const auto full = nodes[0]->reserve("login", "late", t + 1, 900, 5);
  EXPECT_FALSE(full.recorded);
  EXPECT_EQ(full.times.size(), 5u);
  // The window moves on: all forgotten.
  EXPECT_TRUE(nodes[2]->reserve("login", "much-later", t + 900, 900, 5).recorded);
}

TEST(RedisSharedState, AReleasedReservationLeavesRoom) {
  PrivateRedis redis;
  RedisSharedState state(redis.address());
  EXPECT_TRUE(state.reserve("k", "a", 100, 60, 2).recorded);
  EXPECT_TRUE(state.reserve("k", "b", 100, 60, 2).recorded);
  EXPECT_FALSE(state.reserve("k", "c", 100, 60, 2).recorded);
  state.release("k", "a");
  const auto again = state.reserve("k", "c", 101, 60, 2);
  EXPECT_TRUE(again.recorded);
  EXPECT_EQ(again.times, (std::vector<std::int64_t>{100, 101}));
}

TEST(RedisSharedState, ValuesExpireInRedis) {
  PrivateRedis redis;
  RedisSharedState state(redis.address());
  state.put("ticket:short", "v", 1);
  EXPECT_TRUE(state.add("seen", 1));
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  EXPECT_EQ(state.take("ticket:short"), std::nullopt);
  EXPECT_TRUE(state.add("seen", 1));
}

TEST(RedisSharedState, AnUnreachableRedisThrowsUntilItIsBack) {
  const int port = free_port();
  RedisSharedState state(RedisAddress{.host = "127.0.0.1", .port = port});
  EXPECT_THROW(state.put("k", "v", 30), util::SharedStateUnavailable);
  EXPECT_THROW(state.take("k"), util::SharedStateUnavailable);
  EXPECT_THROW(state.add("k", 30), util::SharedStateUnavailable);
  EXPECT_THROW(state.events("k", 1, 10, 5, true), util::SharedStateUnavailable);
  PrivateRedis redis(port);
  state.put("k", "v", 30);
  EXPECT_EQ(state.take("k"), "v");
  // Redis restarted under a pooled connection: the call goes again on a new one, unnoticed.
  redis.stop();
  redis.start();
  state.put("k", "again", 30);
  EXPECT_EQ(state.take("k"), "again");
  // While it is down, every call says so.
  redis.stop();
  EXPECT_THROW(state.put("k", "v", 30), util::SharedStateUnavailable);
  redis.start();
  state.put("k", "back", 30);
  EXPECT_EQ(state.take("k"), "back");
}

}  // namespace
}  // namespace aicc::net
