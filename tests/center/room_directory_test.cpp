// The open rooms' members: who may subscribe to and write in each room, changed by decisions and
// broadcasts and read whole from the store.
#include "center/room_directory.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace aicc::center {
namespace {

TEST(RoomDirectory, OnlyTheCustomerAndTheCurrentAgentAreMembers) {
  RoomDirectory rooms;
  rooms.set("room-1", RoomDirectory::Members{"cust", "agent-a"});
  EXPECT_EQ(rooms.refusal("room-1", "cust"), "");
  EXPECT_EQ(rooms.refusal("room-1", "agent-a"), "");
  EXPECT_EQ(rooms.refusal("room-1", "agent-b"), "not a participant of this room");
  EXPECT_EQ(rooms.refusal("room-2", "cust"), "no such open room");
  // Handed over: the old agent is out at once.
  rooms.set("room-1", RoomDirectory::Members{"cust", "agent-b"});
  EXPECT_EQ(rooms.refusal("room-1", "agent-a"), "not a participant of this room");
  EXPECT_EQ(rooms.refusal("room-1", "agent-b"), "");
  // Waiting in the queue again: no agent is a member, and an empty user id is nobody.
  rooms.set("room-1", RoomDirectory::Members{"cust", ""});
  EXPECT_EQ(rooms.refusal("room-1", ""), "not a participant of this room");
  EXPECT_EQ(rooms.refusal("room-1", "agent-b"), "not a participant of this room");
  rooms.set("room-1", std::nullopt);
  EXPECT_EQ(rooms.refusal("room-1", "cust"), "no such open room");
  EXPECT_EQ(rooms.size(), 0u);
}

TEST(RoomDirectory, ReadFromTheStoreReplacesEverything) {
  RoomDirectory rooms;
  rooms.set("stale", RoomDirectory::Members{"c0", "a0"});
  chat::RoomRecord open{.id = "room-9", .customer_id = "c9", .agent_id = "a9"};
  rooms.replace(RoomDirectory::from_store({open}));
  EXPECT_EQ(rooms.size(), 1u);
  EXPECT_FALSE(rooms.find("stale").has_value());
  ASSERT_TRUE(rooms.find("room-9").has_value());
  EXPECT_EQ(rooms.find("room-9")->agent_id, "a9");
}

TEST(RoomDirectory, ReadersOnOtherThreadsSeeWholeEntries) {
  RoomDirectory rooms;
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (int i = 0; i < 20000; ++i) {
      rooms.set("room", RoomDirectory::Members{"cust", i % 2 ? "agent-a" : "agent-b"});
    }
    stop = true;
  });
  while (!stop) {
    if (auto members = rooms.find("room")) {
      ASSERT_EQ(members->customer_id, "cust");
      ASSERT_TRUE(members->agent_id == "agent-a" || members->agent_id == "agent-b");
    }
  }
  writer.join();
}

}  // namespace
}  // namespace aicc::center
