#include "broker/app_router.hpp"

#include <gtest/gtest.h>

namespace aicc::broker {
namespace {

AppResult ok(const AppMessage&) { return AppResult::done(); }

TEST(AppRouter, ADestinationNobodyRegisteredDoesNotExist) {
  // Fail-closed: no default rule lets an unregistered destination through for any role.
  AppRouter router;
  router.add("/app/room.send", auth::kRoomMembers, ok);
  EXPECT_EQ(router.find("/app/room.sen"), nullptr);
  EXPECT_EQ(router.find("/app/room.send.x"), nullptr);
  EXPECT_EQ(router.find("/app/anything"), nullptr);
  EXPECT_EQ(router.find_subscription("/topic/anything"), nullptr);
  EXPECT_EQ(router.find_subscription("/user/queue/errors"), nullptr);
}

TEST(AppRouter, SendRoutesCarryTheirRolesAndRateClass) {
  AppRouter router;
  router.add("/app/agent.accept", auth::kAgents, ok);
  router.add("/app/chat.send", auth::kEveryone, ok, RateClass::kLobby);
  const SendRoute* accept = router.find("/app/agent.accept");
  ASSERT_NE(accept, nullptr);
  EXPECT_TRUE(accept->roles.allows(auth::Role::kAgent));
  EXPECT_FALSE(accept->roles.allows(auth::Role::kCustomer));
  EXPECT_FALSE(accept->roles.allows(auth::Role::kAdmin));
  EXPECT_EQ(accept->rate, RateClass::kChat);
  EXPECT_EQ(router.find("/app/chat.send")->rate, RateClass::kLobby);
}

TEST(AppRouter, SubscriptionPrefixesCoverOnlyWhatIsUnderThem) {
  AppRouter router;
  router.add_subscription("/topic/room/", auth::kRoomMembers);
  router.add_subscription("/topic/consult/request", auth::kStaff);
  EXPECT_NE(router.find_subscription("/topic/room/r1"), nullptr);
  EXPECT_EQ(router.find_subscription("/topic/room/"), nullptr);  // nothing under the prefix
  EXPECT_EQ(router.find_subscription("/topic/room"), nullptr);
  EXPECT_EQ(router.find_subscription("/topic/roomx/r1"), nullptr);
  EXPECT_NE(router.find_subscription("/topic/consult/request"), nullptr);
  EXPECT_EQ(router.find_subscription("/topic/consult/requests"), nullptr);
  EXPECT_EQ(router.find_subscription("/topic/consult/"), nullptr);
}

TEST(AppRouter, TheMostSpecificSubscriptionRuleWins) {
  AppRouter router;
  router.add_subscription("/topic/a/", auth::kEveryone);
  router.add_subscription("/topic/a/staff/", auth::kStaff);
  EXPECT_TRUE(router.find_subscription("/topic/a/x")->roles.allows(auth::Role::kCustomer));
  EXPECT_FALSE(router.find_subscription("/topic/a/staff/x")->roles.allows(auth::Role::kCustomer));
}

TEST(SendCompletion, SettlesOnceAndCountsAsRefusedWhenDropped) {
  std::vector<bool> settled;
  {
    SendCompletion completion([&](bool stored) { settled.push_back(stored); });
    SendCompletion copy = completion;
    copy.stored();
    completion.refused();  // the copies share one answer: ignored
  }
  EXPECT_EQ(settled, (std::vector<bool>{true}));
  settled.clear();
  {
    SendCompletion dropped([&](bool stored) { settled.push_back(stored); });
  }
  EXPECT_EQ(settled, (std::vector<bool>{false}));
}

}  // namespace
}  // namespace aicc::broker
