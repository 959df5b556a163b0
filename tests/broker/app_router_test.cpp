#include "broker/app_router.hpp"

#include <gtest/gtest.h>

#include <array>
#include <set>
#include <stdexcept>

#include "broker/destination.hpp"

namespace aicc::broker {
namespace {

AppResult ok(const AppMessage&) { return AppResult::done(); }

// A list of the tests' own, so that they do not follow the product's destinations.
constexpr std::array kTestCatalog{
    DestinationSpec{
        .name = "/app/room.send", .direction = Direction::kSend, .roles = auth::kRoomMembers},
    DestinationSpec{
        .name = "/app/agent.accept", .direction = Direction::kSend, .roles = auth::kAgents},
    DestinationSpec{.name = "/app/chat.send",
                    .direction = Direction::kSend,
                    .roles = auth::kEveryone,
                    .rate = RateClass::kLobby},
    DestinationSpec{.name = "/app/auth.refresh",
                    .direction = Direction::kSend,
                    .roles = auth::kEveryone,
                    .answered_by_connection = true},
    DestinationSpec{.name = "/topic/room/{roomId}",
                    .direction = Direction::kSubscribe,
                    .roles = auth::kRoomMembers},
    DestinationSpec{.name = "/topic/consult/request",
                    .direction = Direction::kSubscribe,
                    .roles = auth::kStaff},
    DestinationSpec{
        .name = "/topic/a/{x}", .direction = Direction::kSubscribe, .roles = auth::kEveryone},
    DestinationSpec{
        .name = "/topic/a/staff/{x}", .direction = Direction::kSubscribe, .roles = auth::kStaff},
};

TEST(AppRouter, ADestinationNobodyRegisteredDoesNotExist) {
  // Fail-closed: no default rule lets an unregistered destination through for any role.
  AppRouter router(kTestCatalog);
  router.add("/app/room.send", ok);
  EXPECT_EQ(router.find("/app/room.sen"), nullptr);
  EXPECT_EQ(router.find("/app/room.send.x"), nullptr);
  EXPECT_EQ(router.find("/app/anything"), nullptr);
  EXPECT_EQ(router.find("/app/agent.accept"), nullptr);  // listed, but nobody registered it
  EXPECT_EQ(router.find_subscription("/topic/anything"), nullptr);
  EXPECT_EQ(router.find_subscription("/user/queue/errors"), nullptr);
}

TEST(AppRouter, SendRoutesTakeTheirRolesAndRateClassFromTheCatalog) {
  AppRouter router(kTestCatalog);
  router.add("/app/agent.accept", ok);
  router.add("/app/chat.send", ok);
  const SendRoute* accept = router.find("/app/agent.accept");
  ASSERT_NE(accept, nullptr);
  EXPECT_TRUE(accept->roles.allows(auth::Role::kAgent));
  EXPECT_FALSE(accept->roles.allows(auth::Role::kCustomer));
  EXPECT_FALSE(accept->roles.allows(auth::Role::kAdmin));
  EXPECT_EQ(accept->rate, RateClass::kChat);
  EXPECT_EQ(router.find("/app/chat.send")->rate, RateClass::kLobby);
}

TEST(AppRouter, RegisteringADestinationTheCatalogLacksThrows) {
  AppRouter router(kTestCatalog);
  EXPECT_THROW(router.add("/app/room.sendx", ok), std::logic_error);
  // The direction counts too: a SEND destination is no subscription.
  EXPECT_THROW(router.add_subscription("/app/room.send"), std::logic_error);
  EXPECT_THROW(router.add("/topic/consult/request", ok), std::logic_error);
  EXPECT_THROW(router.add_subscription("/topic/consult/"), std::logic_error);
}

TEST(AppRouter, UnregisteredNamesWhatTheCatalogListsAndNobodyRegistered) {
  AppRouter router(kTestCatalog);
  router.add("/app/room.send", ok);
  router.add("/app/chat.send", ok);
  router.add_subscription("/topic/room/");  // a family, by its prefix
  router.add_subscription("/topic/a/{x}");  // or by its name
  // auth.refresh is answered by the connection itself: never a registration of its own.
  EXPECT_EQ(router.unregistered(),
            (std::vector<std::string>{"send /app/agent.accept", "subscribe /topic/consult/request",
                                      "subscribe /topic/a/staff/{x}"}));
}

TEST(AppRouter, SubscriptionPrefixesCoverOnlyWhatIsUnderThem) {
  AppRouter router(kTestCatalog);
  router.add_subscription("/topic/room/{roomId}");
  router.add_subscription("/topic/consult/request");
  EXPECT_NE(router.find_subscription("/topic/room/r1"), nullptr);
  EXPECT_EQ(router.find_subscription("/topic/room/"), nullptr);  // nothing under the prefix
  EXPECT_EQ(router.find_subscription("/topic/room"), nullptr);
  EXPECT_EQ(router.find_subscription("/topic/roomx/r1"), nullptr);
  EXPECT_NE(router.find_subscription("/topic/consult/request"), nullptr);
  EXPECT_EQ(router.find_subscription("/topic/consult/requests"), nullptr);
  EXPECT_EQ(router.find_subscription("/topic/consult/"), nullptr);
}

TEST(AppRouter, TheMostSpecificSubscriptionRuleWins) {
  AppRouter router(kTestCatalog);
  router.add_subscription("/topic/a/");
  router.add_subscription("/topic/a/staff/");
  EXPECT_TRUE(router.find_subscription("/topic/a/x")->roles.allows(auth::Role::kCustomer));
  EXPECT_FALSE(router.find_subscription("/topic/a/staff/x")->roles.allows(auth::Role::kCustomer));
}

TEST(DestinationCatalog, EveryEntryIsAWellFormedDestinationOfItsDirectionListedOnce) {
  std::set<std::pair<std::string, Direction>> seen;
  for (const DestinationSpec& spec : destination_catalog()) {
    const std::string name(spec.name);
    EXPECT_TRUE(seen.emplace(name, spec.direction).second) << name << " is listed twice";
    // A family is checked as one of its members would be.
    std::string member(registration_pattern(spec.name));
    if (member != spec.name) member += "x1";
    const Classified checked =
        spec.direction == Direction::kSend ? check_send(member) : check_subscribe(member);
    EXPECT_TRUE(checked.ok) << name << ": " << checked.error;
    EXPECT_TRUE(spec.roles.customer || spec.roles.agent || spec.roles.admin)
        << name << " allows no role";
    EXPECT_FALSE(spec.payload.empty()) << name << " says nothing of what travels there";
    EXPECT_EQ(spec.direction == Direction::kSend, !spec.effect.empty()) << name;
  }
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
