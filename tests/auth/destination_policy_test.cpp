#include "auth/destination_policy.hpp"

#include <gtest/gtest.h>

namespace aicc::auth {

TEST(DestinationPolicy, CustomersCannotSeeTheConsultQueue) {
  EXPECT_FALSE(may_subscribe(Role::kCustomer, "/topic/consult/request"));
  EXPECT_FALSE(may_subscribe(Role::kCustomer, "/topic/consult/updates"));
  EXPECT_TRUE(may_subscribe(Role::kAgent, "/topic/consult/request"));
  EXPECT_TRUE(may_subscribe(Role::kAdmin, "/topic/consult/updates"));
}

TEST(DestinationPolicy, CustomersCannotActAsAgents) {
  for (const char* destination :
       {"/app/agent.login", "/app/agent.accept", "/app/agent.status", "/app/room.transfer"}) {
    EXPECT_FALSE(may_send(Role::kCustomer, destination)) << destination;
    EXPECT_TRUE(may_send(Role::kAgent, destination)) << destination;
  }
}

TEST(DestinationPolicy, OnlyCustomersTalkToTheBotAndAskForAgents) {
  EXPECT_TRUE(may_send(Role::kCustomer, "/app/bot.message"));
  EXPECT_TRUE(may_send(Role::kCustomer, "/app/consult.request"));
  EXPECT_FALSE(may_send(Role::kAgent, "/app/consult.request"));
  EXPECT_FALSE(may_send(Role::kAgent, "/app/bot.message"));
  EXPECT_FALSE(may_subscribe(Role::kAgent, "/user/queue/bot/response"));
  EXPECT_FALSE(may_subscribe(Role::kCustomer, "/user/queue/agent/assignment"));
}

TEST(DestinationPolicy, SharedDestinationsAreOpenToEveryRole) {
  for (Role role : {Role::kCustomer, Role::kAgent, Role::kAdmin}) {
    EXPECT_TRUE(may_send(role, "/app/chat.send"));
    EXPECT_TRUE(may_send(role, "/app/auth.refresh"));
    EXPECT_TRUE(may_send(role, "/app/room.send"));
    EXPECT_TRUE(may_subscribe(role, "/topic/chat"));
    EXPECT_TRUE(may_subscribe(role, "/user/queue/errors"));
  }
}

TEST(DestinationPolicy, PrefixesMatchWholeSegments) {
  // "/app/room.transfer" is an exact rule: a longer name is not covered by it.
  EXPECT_TRUE(may_send(Role::kCustomer, "/app/room.transferx"));
  EXPECT_FALSE(may_subscribe(Role::kAgent, "/topic/admin/live"));
  EXPECT_TRUE(may_subscribe(Role::kAgent, "/topic/administration"));
}

}  // namespace aicc::auth
