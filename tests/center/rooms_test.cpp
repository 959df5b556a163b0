// A room's messages: only its members write, each message is stored before it is published, once
// (a retried clientMessageId is neither stored nor published again), in seq order, and a closed
// room refuses; replays read back exactly what was published.
#include "center/rooms.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <string>
#include <vector>

#include "store/sqlite/sqlite_chat_store.hpp"

namespace aicc::center {
namespace {

struct Published {
  std::string destination;
  std::string body;
  std::uint64_t seq = 0;
};

class RecordingPublisher final : public broker::Publisher {
 public:
  void publish(std::string_view destination, std::string_view, std::string_view body) override {
    out.push_back({std::string(destination), std::string(body), 0});
  }
  void publish_to_users(std::string_view, const std::vector<std::string>&, std::string_view,
                        std::string_view) override {}
  void publish_in_stream(std::string_view destination, std::string_view, std::string_view body,
                         std::uint64_t seq) override {
    out.push_back({std::string(destination), std::string(body), seq});
  }
  void send_to_user(std::string_view, std::string_view, std::string_view,
                    std::string_view) override {}
  void unsubscribe_user(std::string_view, std::string_view) override {}
  std::vector<Published> out;
};

class RoomsTest : public ::testing::Test {
 protected:
  RoomsTest() : store_(":memory:"), rooms_(store_, publisher_, figures_) {
    const auto conversation = store_.get_or_create_conversation("cust", "c_1", 1000);
    store_.create_room(chat::RoomRecord{.id = "room-1",
                                        .conversation_id = conversation.id,
                                        .request_id = "req-1",
                                        .customer_id = "cust",
                                        .agent_id = "agent",
                                        .created_at = 1000});
    rooms_.members().set("room-1", RoomDirectory::Members{"cust", "agent"});
  }

  store::sqlite::SqliteChatStore store_;
  RecordingPublisher publisher_;
  chat::LiveFigures figures_;
  Rooms rooms_;
  const Caller customer_{"cust", auth::Role::kCustomer, "Kim"};
  const Caller agent_{"agent", auth::Role::kAgent, "Lee"};
};

TEST_F(RoomsTest, MembersMessagesAreStoredThenPublishedInSeqOrderOnce) {
  EXPECT_FALSE(rooms_.send(customer_, "room-1", "hello", "c-1"));
  EXPECT_FALSE(rooms_.send(agent_, "room-1", "hi, how can I help?", "a-1"));
  EXPECT_FALSE(rooms_.send(customer_, "room-1", "hello", "c-1"));  // a retry
  ASSERT_EQ(publisher_.out.size(), 2u);
  EXPECT_EQ(publisher_.out[0].destination, "/topic/room/room-1");
  EXPECT_EQ(publisher_.out[0].seq, 1u);
  EXPECT_EQ(publisher_.out[1].seq, 2u);
  const auto second = boost::json::parse(publisher_.out[1].body).as_object();
  EXPECT_EQ(second.at("senderRole").as_string(), "AGENT");
  EXPECT_EQ(second.at("text").as_string(), "hi, how can I help?");
  EXPECT_EQ(rooms_.position("room-1"), 2u);
  const auto page = rooms_.read_page("room-1", "/topic/room/room-1", 0, 10);
  ASSERT_EQ(page.size(), 2u);
  EXPECT_EQ(page[0]->seq, 1u);
  EXPECT_EQ(page[1]->seq, 2u);
  EXPECT_EQ(rooms_.read_page("room-1", "/topic/room/room-1", 1, 10).size(), 1u);
}

TEST_F(RoomsTest, OthersAndClosedRoomsAreRefusedAndNothingIsPublished) {
  const auto stranger = rooms_.send({"someone", auth::Role::kAgent, "X"}, "room-1", "hi", "x-1");
  ASSERT_TRUE(stranger);
  EXPECT_EQ(stranger->code, "not_participant");
  const auto unknown = rooms_.send(customer_, "room-9", "hi", "c-9");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->code, "not_participant");
  store_.close_room("room-1", "agent", 2000);
  const auto closed = rooms_.send(customer_, "room-1", "still there?", "c-2");
  ASSERT_TRUE(closed);
  EXPECT_EQ(closed->code, "room_closed");
  EXPECT_TRUE(publisher_.out.empty());
  EXPECT_EQ(rooms_.position("room-1"), 0u);
}

TEST(RoomOf, NamesTheRoomOfARoomDestinationOnly) {
  EXPECT_EQ(room_of("/topic/room/r-1"), "r-1");
  EXPECT_EQ(room_of("/topic/room/"), "");
  EXPECT_FALSE(room_of("/topic/rooms/r-1"));
  EXPECT_FALSE(room_of("/topic/chat"));
}

}  // namespace
}  // namespace aicc::center
