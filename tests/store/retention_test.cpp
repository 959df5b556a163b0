// The retention pass over a real store with a fake clock: nothing goes a day early, everything
// past its age goes, in batches, and a stop request is obeyed between two batches.
#include "chat/retention.hpp"

#include <gtest/gtest.h>

#include <string>

#include "store/sqlite/sqlite_chat_store.hpp"

namespace aicc::chat {
namespace {

constexpr Millis kStart = 1'700'000'000'000;
constexpr Millis kDay = 24LL * 3600 * 1000;

class RetentionPass : public ::testing::Test {
 protected:
  // `count` customers, each with one room closed at kStart holding two messages.
  void closed_rooms(int count) {
    for (int i = 0; i < count; ++i) {
      const std::string n = std::to_string(i);
      const std::string conversation =
          store_.get_or_create_conversation("cust_" + n, "c_" + n, kStart).id;
      RoomRecord room{.id = "r_" + n,
                      .conversation_id = conversation,
                      .request_id = "q_" + n,
                      .customer_id = "cust_" + n,
                      .agent_id = "agent_1",
                      .created_at = kStart};
      ASSERT_TRUE(store_.create_room(room));
      for (const char* text : {"hello", "bye"}) {
        MessageRecord message{.stream_id = room.id,
                              .message_id = room.id + text,
                              .sender_id = room.customer_id,
                              .sender_role = SenderRole::kCustomer,
                              .text = text,
                              .created_at = kStart};
        ASSERT_TRUE(store_.append_message(message).stored());
      }
      ASSERT_TRUE(store_.close_room(room.id, "agent_1", kStart));
    }
  }

  store::sqlite::SqliteChatStore store_{":memory:"};
};

TEST_F(RetentionPass, KeepsEverythingUntilItsAgeThenRemovesItAllInBatches) {
  closed_rooms(5);
  const RetentionDays days{.chats = 30};
  EXPECT_EQ(run_retention_pass(store_, days, 2, kStart + 30 * kDay).total(), 0u);
  EXPECT_TRUE(store_.find_room("r_0").has_value());

  int batches = 0;
  const RemovedCounts removed =
      run_retention_pass(store_, days, 2, kStart + 30 * kDay + 1, {}, [&] { ++batches; });
  EXPECT_EQ(removed.rooms, 5u);
  EXPECT_EQ(removed.messages, 10u);
  EXPECT_EQ(batches, 3);  // 2 + 2 + 1 rooms
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(store_.find_room("r_" + std::to_string(i)));
}

TEST_F(RetentionPass, StopsBetweenBatchesWhenAsked) {
  closed_rooms(5);
  int batches = 0;
  const RemovedCounts removed = run_retention_pass(
      store_, {.chats = 1}, 2, kStart + 2 * kDay, [&] { return batches >= 1; }, [&] { ++batches; });
  EXPECT_EQ(removed.rooms, 2u);
  EXPECT_TRUE(store_.find_room("r_4").has_value());
}

TEST_F(RetentionPass, DoesNothingWithoutAnAge) {
  closed_rooms(1);
  EXPECT_EQ(run_retention_pass(store_, {}, 100, kStart + 3650 * kDay).total(), 0u);
  EXPECT_TRUE(store_.find_room("r_0").has_value());
}

TEST(RetentionCutoffs, FilesFollowChatsUnlessSetAndZeroKeeps) {
  const RetentionCutoffs both = retention_cutoffs({.chats = 10}, kStart);
  EXPECT_EQ(both.chats, kStart - 10 * kDay);
  EXPECT_EQ(both.attachments, kStart - 10 * kDay);
  EXPECT_EQ(both.audit, 0);
  const RetentionCutoffs own =
      retention_cutoffs({.chats = 10, .attachments = 2, .audit = 365}, kStart);
  EXPECT_EQ(own.attachments, kStart - 2 * kDay);
  EXPECT_EQ(own.audit, kStart - 365 * kDay);
  EXPECT_EQ(retention_cutoffs({}, kStart).chats, 0);
}

TEST(RemovedCounts, DescribeNamesTheNonZeroCounts) {
  EXPECT_EQ(describe(RemovedCounts{}), "nothing");
  EXPECT_EQ(describe(RemovedCounts{.rooms = 1, .messages = 41, .attachments = 2}),
            "1 room, 41 messages, 2 files");
}

}  // namespace
}  // namespace aicc::chat
