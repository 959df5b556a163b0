// Agent presence as the node deciding routing sees it: the union of its own agents and every
// other node's heartbeats, a silent node's agents taken for disconnected, and each change told
// to the engine once (again if telling it failed).
#include "center/agent_presence.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace aicc::center {
namespace {

using Changes = std::vector<AgentPresence::Change>;

std::vector<std::string> names(const Changes& changes, bool connected) {
  std::vector<std::string> result;
  for (const auto& change : changes) {
    if (change.connected == connected) result.push_back(change.agent_id);
  }
  return result;
}

void tell_all(AgentPresence& presence, const Changes& changes) {
  for (const auto& change : changes) presence.told(change);
}

TEST(AgentPresence, TheUnionOfThisNodeAndEveryOtherNodesHeartbeats) {
  AgentPresence presence(6000);
  presence.set_local("kim", true);
  presence.heartbeat("node-b", {"lee", "park"}, 1000);
  auto changes = presence.changes(1000);
  EXPECT_EQ(names(changes, true), (std::vector<std::string>{"kim", "lee", "park"}));
  EXPECT_TRUE(names(changes, false).empty());
  tell_all(presence, changes);
  EXPECT_TRUE(presence.changes(1500).empty());  // told once

  // Park's console moved from node B to node C: still connected, nothing to tell.
  presence.heartbeat("node-b", {"lee"}, 2000);
  presence.heartbeat("node-c", {"park"}, 2000);
  EXPECT_TRUE(presence.changes(2000).empty());
  // Lee closed the console on node B: disconnected now.
  presence.heartbeat("node-b", {}, 3000);
  changes = presence.changes(3000);
  EXPECT_EQ(names(changes, false), (std::vector<std::string>{"lee"}));
  tell_all(presence, changes);
  presence.set_local("kim", false);
  EXPECT_EQ(names(presence.changes(3000), false), (std::vector<std::string>{"kim"}));
}

TEST(AgentPresence, AnAgentOnTwoNodesIsConnectedWhileEitherReportsThem) {
  AgentPresence presence(6000);
  presence.heartbeat("node-b", {"kim"}, 0);
  presence.heartbeat("node-c", {"kim"}, 0);
  tell_all(presence, presence.changes(0));
  presence.heartbeat("node-b", {}, 1000);
  EXPECT_TRUE(presence.changes(1000).empty());
  presence.heartbeat("node-c", {}, 2000);
  EXPECT_EQ(names(presence.changes(2000), false), (std::vector<std::string>{"kim"}));
}

TEST(AgentPresence, ASilentNodesAgentsAreDisconnectedAfterTheExpiry) {
  AgentPresence presence(6000);
  presence.heartbeat("node-b", {"lee"}, 0);
  tell_all(presence, presence.changes(0));
  EXPECT_TRUE(presence.changes(6000).empty());  // not past the expiry yet
  std::vector<AgentPresence::SilentNode> silent;
  const auto changes = presence.changes(6001, &silent);
  EXPECT_EQ(names(changes, false), (std::vector<std::string>{"lee"}));
  ASSERT_EQ(silent.size(), 1u);
  EXPECT_EQ(silent[0].node_id, "node-b");
  EXPECT_EQ(silent[0].silent_for, 6001);
  EXPECT_EQ(silent[0].agents, 1u);
}

TEST(AgentPresence, AChangeTheEngineWasNotToldOfComesAgain) {
  AgentPresence presence(6000);
  presence.set_local("kim", true);
  ASSERT_EQ(presence.changes(0).size(), 1u);
  // Telling the engine failed (its effects were not stored): due again.
  EXPECT_EQ(presence.changes(1000).size(), 1u);
}

TEST(AgentPresence, ANewEngineHearsOfEveryConnectedAgentAgain) {
  AgentPresence presence(6000);
  presence.set_local("kim", true);
  presence.heartbeat("node-b", {"lee"}, 0);
  tell_all(presence, presence.changes(0));
  presence.engine_replaced();
  EXPECT_EQ(names(presence.changes(100), true), (std::vector<std::string>{"kim", "lee"}));
  presence.stop_deciding();
  // Not deciding: the other nodes' agents are forgotten; this node's own stay known.
  EXPECT_EQ(names(presence.changes(200), true), (std::vector<std::string>{"kim"}));
  EXPECT_EQ(presence.local().size(), 1u);
}

}  // namespace
}  // namespace aicc::center
