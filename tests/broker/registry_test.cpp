#include "broker/registry.hpp"

#include <gtest/gtest.h>

#include <set>

namespace aicc::broker {

TEST(Registry, FansOutToEverySubscriber) {
  Registry<int> registry;
  registry.add("/topic/a", 1, "s1");
  registry.add("/topic/a", 2, "s1");
  registry.add("/topic/b", 3, "s1");
  std::set<int> seen;
  registry.for_each("/topic/a", [&](const auto& entry) { seen.insert(entry.handle); });
  EXPECT_EQ(seen, (std::set<int>{1, 2}));
  EXPECT_EQ(registry.size(), 3u);
}

TEST(Registry, RemovesOneSubscriptionOnly) {
  Registry<int> registry;
  registry.add("/topic/a", 1, "s1");
  registry.add("/topic/a", 1, "s2");
  EXPECT_TRUE(registry.remove("/topic/a", 1, "s1"));
  EXPECT_FALSE(registry.remove("/topic/a", 1, "s1"));
  EXPECT_EQ(registry.subscribers("/topic/a"), 1u);
  EXPECT_TRUE(registry.remove("/topic/a", 1, "s2"));
  EXPECT_EQ(registry.destinations(), 0u);
}

TEST(Registry, RoundRobinsQueues) {
  Registry<int> registry;
  EXPECT_FALSE(registry.next("/queue/q").has_value());
  registry.add("/queue/q", 1, "s");
  registry.add("/queue/q", 2, "s");
  std::multiset<int> served;
  for (int i = 0; i < 4; ++i) served.insert(registry.next("/queue/q")->handle);
  EXPECT_EQ(served.count(1), 2u);
  EXPECT_EQ(served.count(2), 2u);
}

TEST(Registry, UserKeysCannotCollideWithClientDestinations) {
  Registry<int> registry;
  registry.add(user_key("alice", "/queue/x"), 1, "s");
  EXPECT_EQ(registry.subscribers(user_key("bob", "/queue/x")), 0u);
  EXPECT_EQ(registry.subscribers("alice/queue/x"), 0u);
  EXPECT_EQ(registry.subscribers(user_key("alice", "/queue/x")), 1u);
}

}  // namespace aicc::broker
