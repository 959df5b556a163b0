// The in-process shared state: single-use values, seen-once keys and sliding windows, all expiring
// on its clock, and bounded in keys whatever the callers do.
#include "util/memory_shared_state.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace aicc::util {
namespace {

struct FakeClock {
  std::int64_t now = 1'000'000;
  MemorySharedState::Clock clock() {
    return [this] { return now; };
  }
};

TEST(MemorySharedState, ATakenValueIsGoneForTheNextTaker) {
  FakeClock time;
  MemorySharedState state(100, time.clock());
  state.put("ticket:a", "alice", 30);
  EXPECT_EQ(state.take("ticket:a"), "alice");
  EXPECT_EQ(state.take("ticket:a"), std::nullopt);
  EXPECT_EQ(state.take("ticket:never"), std::nullopt);
}

TEST(MemorySharedState, AReadValueStaysUntilItExpires) {
  FakeClock time;
  MemorySharedState state(100, time.clock());
  state.put("answer:a", "so far", 30);
  EXPECT_EQ(state.get("answer:a"), "so far");
  EXPECT_EQ(state.get("answer:a"), "so far");
  time.now += 31;
  EXPECT_EQ(state.get("answer:a"), std::nullopt);
  EXPECT_EQ(state.get("answer:never"), std::nullopt);
}

TEST(MemorySharedState, OfManyConcurrentTakersExactlyOneGetsTheValue) {
  MemorySharedState state;
  for (int round = 0; round < 200; ++round) {
    const std::string key = "ticket:" + std::to_string(round);
    state.put(key, "v", 30);
    std::atomic<int> winners{0};
    std::vector<std::thread> takers;
    for (int i = 0; i < 4; ++i) {
      takers.emplace_back([&] {
        if (state.take(key)) winners.fetch_add(1);
      });
    }
    for (auto& taker : takers) taker.join();
    ASSERT_EQ(winners.load(), 1) << "round " << round;
  }
}

TEST(MemorySharedState, ValuesExpireAfterTheirTimeToLive) {
  FakeClock time;
  MemorySharedState state(100, time.clock());
  state.put("k", "v", 30);
  time.now += 29;
  state.put("k2", "v2", 30);
  time.now += 1;
  EXPECT_EQ(state.take("k"), std::nullopt);
  EXPECT_EQ(state.take("k2"), "v2");
}

TEST(MemorySharedState, AddIsTrueOnlyTheFirstTimeWithinTheTimeToLive) {
  FakeClock time;
  MemorySharedState state(100, time.clock());
  EXPECT_TRUE(state.add("webhook:x", 10));
  EXPECT_FALSE(state.add("webhook:x", 10));
  time.now += 10;
  EXPECT_TRUE(state.add("webhook:x", 10));
}

TEST(MemorySharedState, EventsSlideOutOfTheirWindowAndKeepOnlyTheNewest) {
  MemorySharedState state;
  const std::int64_t t = 5000;
  EXPECT_TRUE(state.events("f", t, 100, 3, false).empty());
  state.events("f", t, 100, 3, true);
  state.events("f", t + 10, 100, 3, true);
  state.events("f", t + 20, 100, 3, true);
  const auto four = state.events("f", t + 30, 100, 3, true);
  EXPECT_EQ(four, (std::vector<std::int64_t>{t + 10, t + 20, t + 30}));
  // At t + 110 the event of t + 10 is exactly one window old: gone.
  EXPECT_EQ(state.events("f", t + 110, 100, 3, false), (std::vector<std::int64_t>{t + 20, t + 30}));
  state.clear("f");
  EXPECT_TRUE(state.events("f", t + 110, 100, 3, false).empty());
}

TEST(MemorySharedState, ReservationsStopAtTheLimitAndAReleaseLeavesRoom) {
  MemorySharedState state;
  EXPECT_TRUE(state.reserve("k", "a", 100, 60, 2).recorded);
  EXPECT_TRUE(state.reserve("k", "b", 110, 60, 2).recorded);
  const auto full = state.reserve("k", "c", 120, 60, 2);
  EXPECT_FALSE(full.recorded);
  EXPECT_EQ(full.times, (std::vector<std::int64_t>{100, 110}));
  state.release("k", "a");
  EXPECT_TRUE(state.reserve("k", "c", 120, 60, 2).recorded);
  // At 170 the event of 110 is one window old: gone, room again.
  EXPECT_TRUE(state.reserve("k", "d", 170, 60, 2).recorded);
  EXPECT_EQ(state.events("k", 170, 60, 10, false), (std::vector<std::int64_t>{120, 170}));
}

TEST(MemorySharedState, ReadingEventsCreatesNoKey) {
  MemorySharedState state;
  for (int i = 0; i < 50; ++i) state.events("nobody:" + std::to_string(i), 10, 100, 5, false);
  EXPECT_EQ(state.size(), 0u);
}

TEST(MemorySharedState, ExpiredKeysMakeRoomFirstThenTheSoonestToExpire) {
  FakeClock time;
  MemorySharedState state(3, time.clock());
  state.put("short", "1", 5);
  state.put("long", "2", 100);
  state.put("middle", "3", 50);
  time.now += 6;  // "short" has expired
  state.put("new", "4", 100);
  EXPECT_EQ(state.evicted(), 0u);
  EXPECT_EQ(state.size(), 3u);
  state.put("newer", "5", 100);  // full of live keys: "middle" expires soonest
  EXPECT_EQ(state.evicted(), 1u);
  EXPECT_EQ(state.take("middle"), std::nullopt);
  EXPECT_EQ(state.take("long"), "2");
  EXPECT_EQ(state.take("newer"), "5");
}

TEST(MemorySharedState, AFloodOfKeysNeverGrowsPastTheBound) {
  MemorySharedState state(1000);
  for (int i = 0; i < 20'000; ++i) {
    state.put("k" + std::to_string(i), "v", 60);
    state.add("a" + std::to_string(i), 60);
    state.events("e" + std::to_string(i), 100, 60, 5, true);
  }
  EXPECT_LE(state.size(), 1000u);
}

}  // namespace
}  // namespace aicc::util
