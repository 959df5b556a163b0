// Customer presence as the routing authority follows it: away only once gone from every node,
// back says whether the room was told, a silent node takes its customers with it.
#include "center/customer_presence.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace aicc::center {
namespace {

constexpr chat::Millis kNow = 1'700'000'000'000;

std::vector<std::string> away_ids(const CustomerPresence& presence) {
  std::vector<std::string> ids;
  for (const auto& away : presence.away()) ids.push_back(away.customer_id);
  return ids;
}

TEST(CustomerPresence, AwayOnlyOnceGoneFromEveryNode) {
  CustomerPresence presence;
  presence.set("c1", "n1", true, kNow);
  presence.set("c1", "n2", true, kNow);
  presence.set("c1", "n1", false, kNow + 1);
  EXPECT_TRUE(away_ids(presence).empty());  // still on n2
  presence.set("c1", "n2", false, kNow + 2);
  ASSERT_EQ(presence.away().size(), 1u);
  EXPECT_EQ(presence.away()[0].since, kNow + 2);
  EXPECT_FALSE(presence.away()[0].announced);
}

TEST(CustomerPresence, ComingBackSaysWhetherTheRoomWasToldTheyLeft) {
  CustomerPresence presence;
  presence.set("c1", "n1", false, kNow);  // never heard of: they were somewhere, now gone
  EXPECT_FALSE(presence.set("c1", "n1", true, kNow + 1));  // back before anyone was told
  EXPECT_TRUE(away_ids(presence).empty());
  presence.set("c1", "n1", false, kNow + 2);
  presence.mark_announced("c1");
  EXPECT_TRUE(presence.announced("c1"));
  presence.set("c1", "n1", false, kNow + 3);  // a second close keeps the first time
  EXPECT_EQ(presence.away()[0].since, kNow + 2);
  EXPECT_TRUE(presence.set("c1", "n2", true, kNow + 4));
  EXPECT_FALSE(presence.announced("c1"));
}

TEST(CustomerPresence, ASilentNodeTakesItsCustomersAway) {
  CustomerPresence presence;
  presence.set("c1", "n1", true, kNow);
  presence.set("c2", "n1", true, kNow);
  presence.set("c2", "n2", true, kNow);
  presence.forget_node("n1", kNow + 5);
  EXPECT_EQ(away_ids(presence), std::vector<std::string>{"c1"});
}

TEST(CustomerPresence, ForgetAndClearDropTheAbsences) {
  CustomerPresence presence;
  presence.set("c1", "n1", false, kNow);
  presence.set("c2", "n1", false, kNow);
  presence.forget("c1");
  EXPECT_EQ(away_ids(presence), std::vector<std::string>{"c2"});
  presence.clear();
  EXPECT_TRUE(presence.away().empty());
}

}  // namespace
}  // namespace aicc::center
