// The chat::ChatStore contract: a type-parameterised GoogleTest suite written against
// chat::ChatStore& only, instantiated by every adapter's tests with its own backend types. A
// backend type has `static constexpr bool kPersistent` (whether a reopen sees the same data) and
// `open()`, which gives a fresh store on its first call and, when persistent, the same data on
// later calls.
//
// Include it in one test file per executable, then, inside namespace aicc::store::contract:
//   INSTANTIATE_TYPED_TEST_SUITE_P(Name, ChatStoreContract, ::testing::Types<Backend...>);
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "chat/chat_store.hpp"
#include "chat/routing.hpp"
#include "util/random.hpp"

// The helpers have internal linkage: each including test file gets its own copy.
namespace aicc::store::contract {
namespace {

using chat::AppendResult;
using chat::AppendStatus;
using chat::Audit;
using chat::AuditCandidate;
using chat::AuditEntry;
using chat::AuditEvent;
using chat::AuditQuery;
using chat::CandidateVerdict;
using chat::CannedResponse;
using chat::ChatStore;
using chat::ConversationRecord;
using chat::LeftMessageRecord;
using chat::MessageRecord;
using chat::Millis;
using chat::NoteKind;
using chat::NoteRecord;
using chat::RatingOutcome;
using chat::RatingSummary;
using chat::RequestRecord;
using chat::RoomRecord;
using chat::SenderRole;
using chat::StreamKind;

constexpr Millis kNow = 1'700'000'000'000;  // unix ms
// A text as large as a whole STOMP frame may be.
constexpr std::size_t k64KiB = std::size_t{64} * 1024;

MessageRecord make_message(std::string stream_id, std::string message_id,
                           std::string client_message_id = "", std::string sender_id = "cust_1",
                           SenderRole role = SenderRole::kCustomer, Millis at = kNow) {
  MessageRecord message;
  message.stream_id = std::move(stream_id);
  message.message_id = std::move(message_id);
  message.client_message_id = std::move(client_message_id);
  message.sender_id = std::move(sender_id);
  message.sender_role = role;
  message.text = "text of " + message.message_id;
  message.created_at = at;
  return message;
}

MessageRecord make_answer(std::string stream_id, std::string message_id, std::string reply_to) {
  MessageRecord answer = make_message(std::move(stream_id), std::move(message_id), "", "bot",
                                      SenderRole::kBot, kNow + 1);
  answer.reply_to = std::move(reply_to);
  return answer;
}

RoomRecord make_room(std::string id, std::string conversation_id, std::string customer_id,
                     std::string agent_id = "agent_1", Millis at = kNow) {
  RoomRecord room;
  room.id = std::move(id);
  room.conversation_id = std::move(conversation_id);
  room.request_id = "req_of_" + room.id;
  room.customer_id = std::move(customer_id);
  room.agent_id = std::move(agent_id);
  room.created_at = at;
  return room;
}

Audit make_audit(AuditEvent event, Millis at, std::string request_id, std::string agent_id = "",
                 std::string from_agent_id = "") {
  Audit audit;
  audit.event = event;
  audit.at = at;
  audit.request_id = std::move(request_id);
  audit.agent_id = std::move(agent_id);
  audit.from_agent_id = std::move(from_agent_id);
  audit.reason = "reason of " + audit.request_id;
  return audit;
}

LeftMessageRecord make_left(std::string id, Millis at) {
  LeftMessageRecord left;
  left.id = std::move(id);
  left.customer_id = "cust_" + left.id;
  left.customer_name = "Customer " + left.id;
  left.conversation_id = "c_" + left.id;
  left.request_id = "req_" + left.id;
  left.category = "refund";
  left.contact = "someone@example.com";
  left.text = "please call me back";
  left.created_at = at;
  return left;
}

std::vector<CannedResponse> make_canned(const std::string& prefix, std::size_t count) {
  std::vector<CannedResponse> responses;
  for (std::size_t i = 0; i < count; ++i) {
    const std::string n = std::to_string(i);
    responses.push_back(
        {.id = prefix + "_id_" + n, .shortcut = prefix + n, .text = "text " + prefix + n});
  }
  return responses;
}

void expect_same_canned(const std::vector<CannedResponse>& actual,
                        const std::vector<CannedResponse>& expected) {
  ASSERT_EQ(actual.size(), expected.size());
  for (std::size_t i = 0; i < actual.size(); ++i) {
    EXPECT_EQ(actual[i].id, expected[i].id) << i;
    EXPECT_EQ(actual[i].shortcut, expected[i].shortcut) << i;
    EXPECT_EQ(actual[i].text, expected[i].text) << i;
  }
}

void expect_same_message(const MessageRecord& actual, const MessageRecord& expected) {
  EXPECT_EQ(actual.stream_id, expected.stream_id);
  EXPECT_EQ(actual.seq, expected.seq);
  EXPECT_EQ(actual.message_id, expected.message_id);
  EXPECT_EQ(actual.client_message_id, expected.client_message_id);
  EXPECT_EQ(actual.sender_id, expected.sender_id);
  EXPECT_EQ(actual.sender_role, expected.sender_role);
  EXPECT_EQ(actual.text, expected.text);
  EXPECT_EQ(actual.created_at, expected.created_at);
  EXPECT_EQ(actual.reply_to, expected.reply_to);
  EXPECT_EQ(actual.sender_name, expected.sender_name);
}

void expect_same_room(const RoomRecord& actual, const RoomRecord& expected) {
  EXPECT_EQ(actual.id, expected.id);
  EXPECT_EQ(actual.conversation_id, expected.conversation_id);
  EXPECT_EQ(actual.request_id, expected.request_id);
  EXPECT_EQ(actual.customer_id, expected.customer_id);
  EXPECT_EQ(actual.agent_id, expected.agent_id);
  EXPECT_EQ(actual.created_at, expected.created_at);
  EXPECT_EQ(actual.closed_at, expected.closed_at);
  EXPECT_EQ(actual.closed_by, expected.closed_by);
}

void expect_same_record(const RequestRecord& actual, const RequestRecord& expected) {
  EXPECT_EQ(actual.id, expected.id);
  EXPECT_EQ(actual.customer.id, expected.customer.id);
  EXPECT_EQ(actual.customer.display_name, expected.customer.display_name);
  EXPECT_EQ(actual.details.category, expected.details.category);
  EXPECT_EQ(actual.details.reason, expected.details.reason);
  EXPECT_EQ(actual.details.last_bot_message, expected.details.last_bot_message);
  EXPECT_EQ(actual.requested_at, expected.requested_at);
  EXPECT_EQ(actual.requeued_at, expected.requeued_at);
  EXPECT_EQ(actual.rejected_by, expected.rejected_by);
  EXPECT_EQ(actual.room_id, expected.room_id);
  EXPECT_EQ(actual.agent.id, expected.agent.id);
  EXPECT_EQ(actual.agent.display_name, expected.agent.display_name);
  EXPECT_EQ(actual.mode, expected.mode);
}

void expect_same_audit(const Audit& actual, const Audit& expected) {
  EXPECT_EQ(actual.event, expected.event);
  EXPECT_EQ(actual.at, expected.at);
  EXPECT_EQ(actual.request_id, expected.request_id);
  EXPECT_EQ(actual.agent_id, expected.agent_id);
  EXPECT_EQ(actual.from_agent_id, expected.from_agent_id);
  EXPECT_EQ(actual.reason, expected.reason);
  ASSERT_EQ(actual.candidates.size(), expected.candidates.size());
  for (std::size_t i = 0; i < actual.candidates.size(); ++i) {
    EXPECT_EQ(actual.candidates[i].agent_id, expected.candidates[i].agent_id);
    EXPECT_EQ(actual.candidates[i].verdict, expected.candidates[i].verdict);
    EXPECT_EQ(actual.candidates[i].active_rooms, expected.candidates[i].active_rooms);
  }
}

std::vector<std::int64_t> seqs_of(const std::vector<MessageRecord>& messages) {
  std::vector<std::int64_t> seqs;
  for (const auto& message : messages) seqs.push_back(message.seq);
  return seqs;
}

std::vector<std::string> ids_of(const std::vector<RoomRecord>& rooms) {
  std::vector<std::string> ids;
  for (const auto& room : rooms) ids.push_back(room.id);
  return ids;
}

std::vector<std::string> ids_of(const std::vector<chat::RoomSummary>& rooms) {
  std::vector<std::string> ids;
  for (const auto& summary : rooms) ids.push_back(summary.room.id);
  return ids;
}

std::vector<std::string> ids_of(const std::vector<LeftMessageRecord>& messages) {
  std::vector<std::string> ids;
  for (const auto& message : messages) ids.push_back(message.id);
  return ids;
}

std::vector<std::string> requests_of(const std::vector<AuditEntry>& entries) {
  std::vector<std::string> ids;
  for (const auto& entry : entries) ids.push_back(entry.audit.request_id);
  return ids;
}

// ---------------------------------------------------------------------------------------------
// The contract.

template <class Backend>
class ChatStoreContract : public ::testing::Test {
 protected:
  ChatStoreContract() : store_(backend_.open()) {}

  ChatStore& store() { return *store_; }

  // Closes the store and opens it again on the same data.
  void reopen() {
    store_.reset();
    store_ = backend_.open();
  }

  // The conversation of `customer_id`, created as "c_<customer_id>".
  std::string conversation(const std::string& customer_id) {
    return store().get_or_create_conversation(customer_id, "c_" + customer_id, kNow).id;
  }

  // Opens room `id` for customer "cust_1" (in their conversation) with agent_1.
  std::string open_room(const std::string& id) {
    const std::string conversation_id = conversation("cust_1");
    EXPECT_TRUE(store().create_room(make_room(id, conversation_id, "cust_1")));
    return id;
  }

  Backend backend_;
  std::unique_ptr<ChatStore> store_;
};

TYPED_TEST_SUITE_P(ChatStoreContract);

// Conversations

TYPED_TEST_P(ChatStoreContract, ConversationIsCreatedOncePerCustomer) {
  const ConversationRecord first = this->store().get_or_create_conversation("cust_1", "c_1", kNow);
  EXPECT_EQ(first.id, "c_1");
  EXPECT_EQ(first.customer_id, "cust_1");
  EXPECT_EQ(first.created_at, kNow);

  // Later calls return the first one and ignore their id and time.
  const ConversationRecord again =
      this->store().get_or_create_conversation("cust_1", "c_other", kNow + 500);
  EXPECT_EQ(again.id, "c_1");
  EXPECT_EQ(again.created_at, kNow);
  EXPECT_FALSE(this->store().find_conversation("c_other").has_value());

  const ConversationRecord second =
      this->store().get_or_create_conversation("cust_2", "c_2", kNow + 1);
  EXPECT_EQ(second.id, "c_2");

  const auto found = this->store().find_conversation("c_1");
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->customer_id, "cust_1");
  EXPECT_EQ(found->created_at, kNow);
  EXPECT_EQ(this->store().conversation_of_customer("cust_2")->id, "c_2");
  EXPECT_FALSE(this->store().conversation_of_customer("cust_3").has_value());
  EXPECT_FALSE(this->store().find_conversation("c_3").has_value());
}

TYPED_TEST_P(ChatStoreContract, FindsStreamsOfBothKindsWithOwnerAndLastSeq) {
  const std::string conversation_id = this->conversation("cust_1");
  ASSERT_TRUE(this->store().create_room(make_room("r_1", conversation_id, "cust_1", "agent_1")));
  ASSERT_EQ(this->store().append_message(make_message(conversation_id, "m_1")).status,
            AppendStatus::kStored);
  ASSERT_EQ(this->store().append_message(make_message(conversation_id, "m_2")).status,
            AppendStatus::kStored);

  const auto bot_part = this->store().find_stream(conversation_id);
  ASSERT_TRUE(bot_part.has_value());
  EXPECT_EQ(bot_part->id, conversation_id);
  EXPECT_EQ(bot_part->kind, StreamKind::kConversation);
  EXPECT_EQ(bot_part->customer_id, "cust_1");
  EXPECT_EQ(bot_part->conversation_id, conversation_id);
  EXPECT_EQ(bot_part->agent_id, "");
  EXPECT_FALSE(bot_part->closed);
  EXPECT_EQ(bot_part->last_seq, 2);

  const auto room = this->store().find_stream("r_1");
  ASSERT_TRUE(room.has_value());
  EXPECT_EQ(room->kind, StreamKind::kRoom);
  EXPECT_EQ(room->customer_id, "cust_1");
  EXPECT_EQ(room->conversation_id, conversation_id);
  EXPECT_EQ(room->agent_id, "agent_1");
  EXPECT_FALSE(room->closed);
  EXPECT_EQ(room->last_seq, 0);

  ASSERT_TRUE(this->store().close_room("r_1", "cust_1", kNow + 10));
  EXPECT_TRUE(this->store().find_stream("r_1")->closed);
  EXPECT_FALSE(this->store().find_stream("r_2").has_value());
}

// Messages

TYPED_TEST_P(ChatStoreContract, SeqStartsAtOneWithoutGapsInEachStream) {
  const std::string a = this->conversation("cust_1");
  const std::string b = this->conversation("cust_2");
  for (int i = 0; i < 5; ++i) {
    const auto in_a = this->store().append_message(make_message(a, "a" + std::to_string(i)));
    ASSERT_EQ(in_a.status, AppendStatus::kStored);
    EXPECT_EQ(in_a.message.seq, i + 1);
    if (i % 2 == 0) {
      const auto in_b = this->store().append_message(make_message(b, "b" + std::to_string(i)));
      ASSERT_EQ(in_b.status, AppendStatus::kStored);
      EXPECT_EQ(in_b.message.seq, i / 2 + 1);
    }
  }
  EXPECT_EQ(seqs_of(this->store().read_messages(a, 0, 100)),
            (std::vector<std::int64_t>{1, 2, 3, 4, 5}));
  EXPECT_EQ(seqs_of(this->store().read_messages(b, 0, 100)), (std::vector<std::int64_t>{1, 2, 3}));
  EXPECT_EQ(this->store().last_seq(a), 5);
  EXPECT_EQ(this->store().last_seq(b), 3);
}

TYPED_TEST_P(ChatStoreContract, StoresEveryFieldOfAMessage) {
  const std::string stream = this->conversation("cust_1");
  MessageRecord message =
      make_message(stream, "m_1", "cm_1", "cust_1", SenderRole::kCustomer, kNow + 42);
  message.sender_name = "손님 \xF0\x9F\x98\x80 O'Brien";  // kept byte for byte
  message.seq = 99;                                       // ignored: the store sets it
  const auto result = this->store().append_message(message);
  ASSERT_EQ(result.status, AppendStatus::kStored);
  EXPECT_FALSE(result.duplicate());
  EXPECT_TRUE(result.stored());
  message.seq = 1;
  expect_same_message(result.message, message);

  const auto read = this->store().read_messages(stream, 0, 10);
  ASSERT_EQ(read.size(), 1u);
  expect_same_message(read[0], message);

  // Every sender role survives the trip.
  int n = 2;
  for (const auto role : {SenderRole::kAgent, SenderRole::kBot, SenderRole::kSystem}) {
    const std::string id = "m_" + std::to_string(n++);
    ASSERT_EQ(this->store().append_message(make_message(stream, id, "", "x", role)).status,
              AppendStatus::kStored);
  }
  const auto all = this->store().read_messages(stream, 1, 10);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].sender_role, SenderRole::kAgent);
  EXPECT_EQ(all[1].sender_role, SenderRole::kBot);
  EXPECT_EQ(all[2].sender_role, SenderRole::kSystem);
}

TYPED_TEST_P(ChatStoreContract, RepeatedClientMessageIdIsStoredOnce) {
  const std::string stream = this->conversation("cust_1");
  const auto first = this->store().append_message(make_message(stream, "m_1", "cm_1"));
  ASSERT_EQ(first.status, AppendStatus::kStored);

  // The retry carries a new server id and maybe another text: the first message is the answer.
  MessageRecord retry =
      make_message(stream, "m_2", "cm_1", "cust_1", SenderRole::kCustomer, kNow + 5);
  retry.text = "edited";
  const auto again = this->store().append_message(retry);
  EXPECT_EQ(again.status, AppendStatus::kDuplicate);
  EXPECT_TRUE(again.duplicate());
  EXPECT_TRUE(again.stored());
  expect_same_message(again.message, first.message);
  EXPECT_EQ(this->store().last_seq(stream), 1);

  // Another sender, another stream, or no client id at all: new messages.
  EXPECT_EQ(
      this->store().append_message(make_message(stream, "m_3", "cm_1", "agent_1")).message.seq, 2);
  const std::string other = this->conversation("cust_2");
  EXPECT_EQ(this->store().append_message(make_message(other, "m_4", "cm_1")).message.seq, 1);
  EXPECT_EQ(this->store().append_message(make_message(stream, "m_5")).message.seq, 3);
  EXPECT_EQ(this->store().append_message(make_message(stream, "m_6")).message.seq, 4);
  // Client ids compare byte for byte.
  EXPECT_EQ(this->store().append_message(make_message(stream, "m_7", "CM_1")).status,
            AppendStatus::kStored);
  EXPECT_EQ(this->store().read_messages(stream, 0, 100).size(), 5u);
}

TYPED_TEST_P(ChatStoreContract, AGroupCommitStoresEachMessageAsAloneInItsOrder) {
  const std::string a = this->conversation("cust_1");
  const std::string b = this->conversation("cust_2");
  ASSERT_TRUE(this->store().append_message(make_message(a, "m_0", "cm_0")).stored());
  const std::string room_id = "r_closed";
  ASSERT_TRUE(this->store().create_room(make_room(room_id, b, "cust_2", "agent_1", kNow)));
  ASSERT_TRUE(this->store().close_room(room_id, "agent_1", kNow + 1));
  MessageRecord edited_retry = make_message(a, "m_4", "cm_2");
  edited_retry.text = "edited";
  const std::vector<MessageRecord> batch = {
      make_message(a, "m_1", "cm_1"),           // a: seq 2
      make_message(b, "m_2", "cm_1"),           // b: seq 1 (another stream, same client id)
      make_message(a, "m_3", "cm_2"),           // a: seq 3
      edited_retry,                             // a retry of m_3 within the batch
      make_message(a, "m_5", "cm_0"),           // a retry of a message stored before
      make_message("c_nobody", "m_6", "cm_6"),  // unknown stream
      make_message(room_id, "m_7", "cm_7"),     // closed room
      make_message(a, "m_8"),                   // a: seq 4
  };
  const std::vector<AppendResult> results = this->store().append_messages(batch);
  ASSERT_EQ(results.size(), batch.size());
  EXPECT_EQ(results[0].status, AppendStatus::kStored);
  EXPECT_EQ(results[0].message.seq, 2);
  EXPECT_EQ(results[1].status, AppendStatus::kStored);
  EXPECT_EQ(results[1].message.seq, 1);
  EXPECT_EQ(results[2].message.seq, 3);
  EXPECT_EQ(results[3].status, AppendStatus::kDuplicate);
  expect_same_message(results[3].message, results[2].message);
  EXPECT_EQ(results[4].status, AppendStatus::kDuplicate);
  EXPECT_EQ(results[4].message.message_id, "m_0");
  EXPECT_EQ(results[5].status, AppendStatus::kUnknownStream);
  EXPECT_EQ(results[6].status, AppendStatus::kStreamClosed);
  EXPECT_EQ(results[7].status, AppendStatus::kStored);
  EXPECT_EQ(results[7].message.seq, 4);
  // Stored as they were returned: what a reader gets back is the same.
  const auto in_a = this->store().read_messages(a, 1, 10);
  ASSERT_EQ(in_a.size(), 3u);
  expect_same_message(in_a[0], results[0].message);
  expect_same_message(in_a[1], results[2].message);
  expect_same_message(in_a[2], results[7].message);
  EXPECT_EQ(this->store().last_seq(b), 1);
  EXPECT_TRUE(this->store().read_messages(room_id, 0, 10).empty());
  // A batch of none stores nothing; single appends go on after a batch.
  EXPECT_TRUE(this->store().append_messages({}).empty());
  EXPECT_EQ(this->store().append_message(make_message(a, "m_9")).message.seq, 5);
}

TYPED_TEST_P(ChatStoreContract, GroupCommitsFromManyThreadsKeepEveryStreamsSeqsWhole) {
  std::vector<std::string> streams;
  for (int i = 0; i < 4; ++i) streams.push_back(this->conversation("cust_" + std::to_string(i)));
  constexpr int kThreads = 4, kBatches = 20, kPerBatch = 6;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int n = 0; n < kBatches; ++n) {
        std::vector<MessageRecord> batch;
        for (int k = 0; k < kPerBatch; ++k) {
          // Every batch touches the streams in another order.
          const std::string& stream = streams[static_cast<std::size_t>((t + n + k) % 4)];
          batch.push_back(make_message(stream, "m_" + std::to_string(t) + "_" + std::to_string(n) +
                                                   "_" + std::to_string(k)));
        }
        for (const AppendResult& result : this->store().append_messages(batch))
          EXPECT_EQ(result.status, AppendStatus::kStored);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  std::size_t total = 0;
  for (const std::string& stream : streams) {
    const auto messages = this->store().read_messages(stream, 0, 1000);
    for (std::size_t i = 0; i < messages.size(); ++i)
      EXPECT_EQ(messages[i].seq, static_cast<std::int64_t>(i + 1)) << stream;
    total += messages.size();
  }
  EXPECT_EQ(total, static_cast<std::size_t>(kThreads * kBatches * kPerBatch));
}

TYPED_TEST_P(ChatStoreContract, ReadsAfterASeqWithALimit) {
  const std::string stream = this->conversation("cust_1");
  for (int i = 1; i <= 10; ++i) {
    ASSERT_EQ(this->store().append_message(make_message(stream, "m_" + std::to_string(i))).status,
              AppendStatus::kStored);
  }
  EXPECT_EQ(seqs_of(this->store().read_messages(stream, 0, 3)),
            (std::vector<std::int64_t>{1, 2, 3}));
  EXPECT_EQ(seqs_of(this->store().read_messages(stream, 3, 3)),
            (std::vector<std::int64_t>{4, 5, 6}));
  EXPECT_EQ(seqs_of(this->store().read_messages(stream, 8, 100)),
            (std::vector<std::int64_t>{9, 10}));
  EXPECT_TRUE(this->store().read_messages(stream, 10, 100).empty());
  EXPECT_TRUE(this->store().read_messages(stream, 0, 0).empty());
  EXPECT_EQ(this->store().read_messages(stream, -5, 2).size(), 2u);
  EXPECT_EQ(this->store().read_messages(stream, 0, static_cast<std::size_t>(-1)).size(), 10u);
  EXPECT_EQ(this->store().read_messages(stream, 4, 1)[0].message_id, "m_5");
  EXPECT_TRUE(this->store().read_messages("c_nobody", 0, 100).empty());
  EXPECT_EQ(this->store().last_seq("c_nobody"), 0);
}

TYPED_TEST_P(ChatStoreContract, AppendToAnUnknownStreamStoresNothing) {
  const auto result = this->store().append_message(make_message("c_nobody", "m_1", "cm_1"));
  EXPECT_EQ(result.status, AppendStatus::kUnknownStream);
  EXPECT_FALSE(result.stored());
  EXPECT_TRUE(this->store().read_messages("c_nobody", 0, 10).empty());
  EXPECT_FALSE(this->store().find_stream("c_nobody").has_value());
}

// Four threads appending 500 messages each to one stream: 2000 messages with seq 1..2000, and each
// thread's messages in the order it sent them.
TYPED_TEST_P(ChatStoreContract, ConcurrentAppendsToOneStreamLeaveNoGap) {
  const std::string stream = this->conversation("cust_1");
  constexpr int kThreads = 4;
  constexpr int kEach = 500;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        const std::string id = std::to_string(t) + "-" + std::to_string(i);
        const auto result = this->store().append_message(
            make_message(stream, "m_" + id, "cm_" + id, "sender_" + std::to_string(t)));
        EXPECT_EQ(result.status, AppendStatus::kStored);
      }
    });
  }
  for (auto& thread : threads) thread.join();

  const auto messages = this->store().read_messages(stream, 0, 10 * kThreads * kEach);
  ASSERT_EQ(messages.size(), static_cast<std::size_t>(kThreads * kEach));
  std::vector<int> next(kThreads, 0);
  std::set<std::string> ids;
  for (std::size_t i = 0; i < messages.size(); ++i) {
    EXPECT_EQ(messages[i].seq, static_cast<std::int64_t>(i + 1));
    ids.insert(messages[i].message_id);
    const int t = messages[i].sender_id.back() - '0';
    ASSERT_GE(t, 0);
    ASSERT_LT(t, kThreads);
    EXPECT_EQ(messages[i].message_id, "m_" + std::to_string(t) + "-" + std::to_string(next[t]++));
  }
  EXPECT_EQ(ids.size(), messages.size());
  EXPECT_EQ(this->store().last_seq(stream), kThreads * kEach);
}

// Bot answers

TYPED_TEST_P(ChatStoreContract, OneCustomerMessageGetsAtMostOneAnswer) {
  const std::string stream = this->conversation("cust_1");
  ASSERT_EQ(this->store().append_message(make_message(stream, "m_1", "cm_1")).status,
            AppendStatus::kStored);
  ASSERT_EQ(this->store().append_message(make_message(stream, "m_2", "cm_2")).status,
            AppendStatus::kStored);

  // The HTTP reply and the webhook both answer m_1: the first one wins.
  const auto reply = this->store().append_message(make_answer(stream, "b_1", "m_1"));
  ASSERT_EQ(reply.status, AppendStatus::kStored);
  EXPECT_EQ(reply.message.seq, 3);
  EXPECT_EQ(reply.message.reply_to, "m_1");
  const auto webhook = this->store().append_message(make_answer(stream, "b_2", "m_1"));
  EXPECT_EQ(webhook.status, AppendStatus::kAlreadyAnswered);
  EXPECT_FALSE(webhook.stored());
  expect_same_message(webhook.message, reply.message);
  EXPECT_EQ(this->store().last_seq(stream), 3);

  // Another customer message still gets its answer; messages that answer nothing are many.
  EXPECT_EQ(this->store().append_message(make_answer(stream, "b_3", "m_2")).status,
            AppendStatus::kStored);
  EXPECT_EQ(this->store().append_message(make_answer(stream, "b_4", "")).status,
            AppendStatus::kStored);
  EXPECT_EQ(this->store().append_message(make_answer(stream, "b_5", "")).status,
            AppendStatus::kStored);
  EXPECT_EQ(this->store().last_seq(stream), 6);
}

TYPED_TEST_P(ChatStoreContract, ConcurrentAnswersToOneMessageStoreOne) {
  const std::string stream = this->conversation("cust_1");
  ASSERT_EQ(this->store().append_message(make_message(stream, "m_1")).status,
            AppendStatus::kStored);
  constexpr int kThreads = 4;
  std::atomic<int> stored{0};
  std::atomic<int> answered{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const auto result =
          this->store().append_message(make_answer(stream, "b_" + std::to_string(t), "m_1"));
      if (result.status == AppendStatus::kStored) ++stored;
      if (result.status == AppendStatus::kAlreadyAnswered) ++answered;
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(stored.load(), 1);
  EXPECT_EQ(answered.load(), kThreads - 1);
  EXPECT_EQ(this->store().last_seq(stream), 2);
}

// Rooms

TYPED_TEST_P(ChatStoreContract, RoomLifecycle) {
  const std::string conversation_id = this->conversation("cust_1");
  RoomRecord room = make_room("r_1", conversation_id, "cust_1", "agent_1", kNow + 100);
  room.closed_at = kNow;  // ignored on create
  room.closed_by = "someone";
  ASSERT_TRUE(this->store().create_room(room));
  room.closed_at.reset();
  room.closed_by.clear();
  expect_same_room(*this->store().find_room("r_1"), room);
  EXPECT_EQ(ids_of(this->store().open_rooms()), (std::vector<std::string>{"r_1"}));

  // Messages, a transfer, more messages.
  EXPECT_EQ(this->store().append_message(make_message("r_1", "m_1", "cm_1")).message.seq, 1);
  EXPECT_TRUE(this->store().set_room_agent("r_1", "agent_2"));
  EXPECT_EQ(this->store().find_room("r_1")->agent_id, "agent_2");
  EXPECT_EQ(this->store()
                .append_message(make_message("r_1", "m_2", "cm_a", "agent_2", SenderRole::kAgent))
                .message.seq,
            2);
  // Waiting in the queue again after a requeue: no agent.
  EXPECT_TRUE(this->store().set_room_agent("r_1", ""));
  EXPECT_EQ(this->store().find_room("r_1")->agent_id, "");
  EXPECT_TRUE(this->store().set_room_agent("r_1", "agent_3"));

  // The first close counts; later ones change nothing.
  EXPECT_TRUE(this->store().close_room("r_1", "agent_3", kNow + 200));
  EXPECT_FALSE(this->store().close_room("r_1", "cust_1", kNow + 300));
  const auto closed = this->store().find_room("r_1");
  ASSERT_TRUE(closed.has_value());
  EXPECT_EQ(closed->closed_at, kNow + 200);
  EXPECT_EQ(closed->closed_by, "agent_3");
  EXPECT_EQ(closed->agent_id, "agent_3");
  EXPECT_TRUE(this->store().open_rooms().empty());

  // A closed room takes no message and no agent, but a retry of a stored message is still a
  // duplicate, and the history stays readable.
  EXPECT_EQ(this->store().append_message(make_message("r_1", "m_3", "cm_2")).status,
            AppendStatus::kStreamClosed);
  EXPECT_EQ(this->store().append_message(make_message("r_1", "m_4", "cm_1")).status,
            AppendStatus::kDuplicate);
  EXPECT_FALSE(this->store().set_room_agent("r_1", "agent_4"));
  EXPECT_EQ(this->store().read_messages("r_1", 0, 10).size(), 2u);
  EXPECT_EQ(this->store().last_seq("r_1"), 2);

  // Unknown rooms.
  EXPECT_FALSE(this->store().find_room("r_9").has_value());
  EXPECT_FALSE(this->store().set_room_agent("r_9", "agent_1"));
  EXPECT_FALSE(this->store().close_room("r_9", "", kNow));
}

TYPED_TEST_P(ChatStoreContract, ListsOpenRoomsAndRoomsOfAConversation) {
  const std::string c1 = this->conversation("cust_1");
  const std::string c2 = this->conversation("cust_2");
  ASSERT_TRUE(this->store().create_room(make_room("r_b", c1, "cust_1", "agent_1", kNow + 2)));
  ASSERT_TRUE(this->store().create_room(make_room("r_a", c2, "cust_2", "agent_1", kNow + 2)));
  ASSERT_TRUE(this->store().create_room(make_room("r_c", c1, "cust_1", "agent_2", kNow + 1)));
  ASSERT_TRUE(this->store().close_room("r_c", "", kNow + 3));
  ASSERT_TRUE(this->store().create_room(make_room("r_d", c1, "cust_1", "agent_2", kNow + 4)));

  EXPECT_EQ(ids_of(this->store().open_rooms()), (std::vector<std::string>{"r_a", "r_b", "r_d"}));
  EXPECT_EQ(ids_of(this->store().rooms_of_conversation(c1)),
            (std::vector<std::string>{"r_c", "r_b", "r_d"}));
  EXPECT_EQ(ids_of(this->store().rooms_of_conversation(c2)), (std::vector<std::string>{"r_a"}));
  EXPECT_TRUE(this->store().rooms_of_conversation("c_nobody").empty());
  // The server closed r_c: nobody is named.
  EXPECT_EQ(this->store().find_room("r_c")->closed_by, "");
}

TYPED_TEST_P(ChatStoreContract, RefusesRoomsWithATakenIdOrAnotherCustomersConversation) {
  const std::string c1 = this->conversation("cust_1");
  const std::string c2 = this->conversation("cust_2");
  ASSERT_TRUE(this->store().create_room(make_room("r_1", c1, "cust_1")));
  EXPECT_FALSE(this->store().create_room(make_room("r_1", c1, "cust_1", "agent_9")));
  EXPECT_EQ(this->store().find_room("r_1")->agent_id, "agent_1");
  // Rooms and conversations share one id space.
  EXPECT_FALSE(this->store().create_room(make_room(c2, c1, "cust_1")));
  EXPECT_FALSE(this->store().find_room(c2).has_value());
  EXPECT_EQ(this->store().find_stream(c2)->kind, StreamKind::kConversation);
  // The conversation must exist and be the customer's.
  EXPECT_FALSE(this->store().create_room(make_room("r_2", c2, "cust_1")));
  EXPECT_FALSE(this->store().create_room(make_room("r_3", "c_nobody", "cust_1")));
  EXPECT_FALSE(this->store().find_stream("r_2").has_value());
  EXPECT_FALSE(this->store().find_stream("r_3").has_value());
  EXPECT_EQ(this->store().open_rooms().size(), 1u);
}

// Routing records

TYPED_TEST_P(ChatStoreContract, RoutingRecordsRoundTripIntoRestore) {
  // Two customers wait (one requeued, with rejections); a third is in a room with agent_1.
  RequestRecord waiting;
  waiting.id = "req_w";
  waiting.customer = {.id = "cust_w", .display_name = "Waiting Customer"};
  waiting.details = {.category = "refund", .reason = "broken", .last_bot_message = "sorry"};
  waiting.requested_at = kNow + 10;

  RequestRecord requeued;
  requeued.id = "req_q";
  requeued.customer = {.id = "cust_q", .display_name = "Requeued"};
  requeued.requested_at = kNow + 20;
  requeued.requeued_at = kNow + 30;
  requeued.rejected_by = {"agent_2", "agent_3"};
  requeued.room_id = "room_q";

  RequestRecord in_room;
  in_room.id = "req_r";
  in_room.customer = {.id = "cust_r", .display_name = "In Room"};
  in_room.requested_at = kNow;
  in_room.room_id = "room_r";
  in_room.agent = {.id = "agent_1", .display_name = "Agent One"};
  in_room.mode = chat::AssignMode::kAuto;

  this->store().upsert_request(in_room);
  this->store().upsert_request(requeued);
  this->store().upsert_request(waiting);

  // Upserting again replaces every field, rejections included.
  RequestRecord gone;
  gone.id = "req_gone";
  gone.customer = {.id = "cust_gone", .display_name = "Gone"};
  gone.requested_at = kNow + 1;
  this->store().upsert_request(gone);
  EXPECT_TRUE(this->store().erase_request("req_gone"));
  EXPECT_FALSE(this->store().erase_request("req_gone"));

  requeued.rejected_by = {"agent_2", "agent_3", "agent_4"};
  this->store().upsert_request(requeued);
  waiting.rejected_by = {"agent_9"};
  this->store().upsert_request(waiting);
  waiting.rejected_by = {};
  waiting.details.reason = "still broken";
  this->store().upsert_request(waiting);

  const auto records = this->store().load_requests();
  ASSERT_EQ(records.size(), 3u);
  // By requested_at, then id.
  expect_same_record(records[0], in_room);
  expect_same_record(records[1], waiting);
  expect_same_record(records[2], requeued);

  // What the store gives back is what the engine restores: the requeued request first, the room
  // kept with its agent.
  chat::Routing routing;
  routing.restore(records, kNow + 1000);
  const auto queue = routing.waiting();
  ASSERT_EQ(queue.size(), 2u);
  EXPECT_EQ(queue[0].request_id, "req_q");
  EXPECT_TRUE(queue[0].requeued);
  EXPECT_EQ(queue[0].rejections, 3u);
  EXPECT_EQ(queue[1].request_id, "req_w");
  const auto rooms = routing.rooms();
  ASSERT_EQ(rooms.size(), 2u);  // room_q keeps its room id while it waits
  const auto room = routing.room("room_r");
  ASSERT_TRUE(room.has_value());
  EXPECT_EQ(room->request_id, "req_r");
  EXPECT_EQ(room->agent.id, "agent_1");
  EXPECT_EQ(room->customer.id, "cust_r");
}

TYPED_TEST_P(ChatStoreContract, RoutingEffectsAppliedToTheStoreRestoreTheSameState) {
  // Runs the engine, applies its store effects as the server does, and restores from the store.
  chat::Routing routing;
  chat::Effects effects;
  const auto apply = [&](chat::Effects produced) {
    for (auto& effect : produced) {
      if (auto* upsert = std::get_if<chat::StoreUpsert>(&effect)) {
        this->store().upsert_request(upsert->record);
      } else if (auto* erase = std::get_if<chat::StoreErase>(&effect)) {
        this->store().erase_request(erase->request_id);
      } else if (auto* audit = std::get_if<Audit>(&effect)) {
        this->store().append_audit(*audit);
      }
    }
  };
  apply(routing.agent_login({.id = "agent_1", .display_name = "A1"}, kNow));
  apply(routing.agent_login({.id = "agent_2", .display_name = "A2"}, kNow));
  apply(routing.request({.id = "cust_1", .display_name = "C1"}, {.category = "billing"}, kNow));
  apply(routing.request({.id = "cust_2", .display_name = "C2"}, {}, kNow + 1));
  apply(routing.request({.id = "cust_3", .display_name = "C3"}, {}, kNow + 2));
  const auto queue = routing.waiting();
  ASSERT_EQ(queue.size(), 3u);
  apply(routing.reject("agent_2", queue[1].request_id, kNow + 3));
  apply(routing.accept("agent_1", queue[0].request_id, kNow + 4));
  apply(routing.cancel("cust_3", queue[2].request_id, kNow + 5));

  chat::Routing restored;
  restored.restore(this->store().load_requests(), kNow + 100);
  const auto before = routing.waiting();
  const auto after = restored.waiting();
  ASSERT_EQ(after.size(), before.size());
  for (std::size_t i = 0; i < after.size(); ++i) {
    EXPECT_EQ(after[i].request_id, before[i].request_id);
    EXPECT_EQ(after[i].rejections, before[i].rejections);
  }
  ASSERT_EQ(restored.rooms().size(), 1u);
  EXPECT_EQ(restored.rooms()[0].agent.id, "agent_1");
  EXPECT_EQ(restored.rooms()[0].customer.id, "cust_1");
  // The decisions were audited.
  AuditQuery query;
  query.agent_id = "agent_2";
  const auto rejects = this->store().query_audit(query);
  ASSERT_FALSE(rejects.empty());
  EXPECT_TRUE(std::any_of(rejects.begin(), rejects.end(), [](const AuditEntry& entry) {
    return entry.audit.event == AuditEvent::kReject;
  }));
}

// Audit log

TYPED_TEST_P(ChatStoreContract, AuditEntriesKeepEveryFieldAndTheirCandidates) {
  Audit audit = make_audit(AuditEvent::kAutoAssign, kNow, "req_1", "agent_1");
  audit.reason = "offer_window_passed";
  audit.candidates = {
      {.agent_id = "agent_1", .verdict = CandidateVerdict::kPicked, .active_rooms = 1},
      {.agent_id = "agent_3", .verdict = CandidateVerdict::kBusier, .active_rooms = 2},
      {.agent_id = "agent_2", .verdict = CandidateVerdict::kAway, .active_rooms = 0},
  };
  const std::int64_t id = this->store().append_audit(audit);
  EXPECT_GT(id, 0);
  const Audit plain = make_audit(AuditEvent::kTransfer, kNow + 1, "req_1", "agent_2", "agent_1");
  const std::int64_t next = this->store().append_audit(plain);
  EXPECT_GT(next, id);

  const auto entries = this->store().query_audit({});
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].id, id);
  expect_same_audit(entries[0].audit, audit);
  EXPECT_EQ(entries[1].id, next);
  expect_same_audit(entries[1].audit, plain);

  // Every event and verdict the engine can write reads back.
  const std::vector<AuditEvent> events = {
      AuditEvent::kOffer,      AuditEvent::kAccept,       AuditEvent::kReject,
      AuditEvent::kAutoAssign, AuditEvent::kNoAgent,      AuditEvent::kRequeue,
      AuditEvent::kTransfer,   AuditEvent::kCancel,       AuditEvent::kClose,
      AuditEvent::kRefusal,    AuditEvent::kLeaveMessage, AuditEvent::kErasure};
  const std::vector<CandidateVerdict> verdicts = {
      CandidateVerdict::kPicked,   CandidateVerdict::kOffline,     CandidateVerdict::kDisconnected,
      CandidateVerdict::kRejected, CandidateVerdict::kAway,        CandidateVerdict::kAtCapacity,
      CandidateVerdict::kBusier,   CandidateVerdict::kIdleShorter, CandidateVerdict::kLostTie};
  Audit every = make_audit(AuditEvent::kOffer, kNow + 2, "req_every");
  for (std::size_t i = 0; i < verdicts.size(); ++i) {
    every.candidates.push_back({.agent_id = "a" + std::to_string(i),
                                .verdict = verdicts[i],
                                .active_rooms = static_cast<int>(i)});
  }
  for (const auto event : events) {
    every.event = event;
    this->store().append_audit(every);
  }
  AuditQuery query;
  query.request_id = "req_every";
  const auto read = this->store().query_audit(query);
  ASSERT_EQ(read.size(), events.size());
  for (std::size_t i = 0; i < events.size(); ++i) {
    every.event = events[i];
    expect_same_audit(read[i].audit, every);
  }
}

TYPED_TEST_P(ChatStoreContract, AuditQueryFiltersByTimeRequestAndAgentWithALimit) {
  // at, request, agent, from agent
  this->store().append_audit(make_audit(AuditEvent::kOffer, kNow, "req_1"));
  this->store().append_audit(make_audit(AuditEvent::kReject, kNow + 10, "req_1", "agent_2"));
  this->store().append_audit(make_audit(AuditEvent::kAccept, kNow + 20, "req_1", "agent_1"));
  this->store().append_audit(make_audit(AuditEvent::kOffer, kNow + 30, "req_2"));
  this->store().append_audit(make_audit(AuditEvent::kAutoAssign, kNow + 40, "req_2", "agent_2"));
  this->store().append_audit(
      make_audit(AuditEvent::kTransfer, kNow + 50, "req_1", "agent_3", "agent_1"));
  this->store().append_audit(make_audit(AuditEvent::kRequeue, kNow + 60, "req_2", "", "agent_2"));

  const auto run = [&](AuditQuery query) { return requests_of(this->store().query_audit(query)); };
  const auto events = [&](AuditQuery query) {
    std::vector<AuditEvent> result;
    for (const auto& entry : this->store().query_audit(query)) result.push_back(entry.audit.event);
    return result;
  };

  EXPECT_EQ(run({}).size(), 7u);
  // Time range: from inclusive, to exclusive.
  EXPECT_EQ(
      events({.from = kNow + 10, .to = kNow + 40}),
      (std::vector<AuditEvent>{AuditEvent::kReject, AuditEvent::kAccept, AuditEvent::kOffer}));
  EXPECT_TRUE(run({.from = kNow + 61}).empty());
  EXPECT_TRUE(run({.to = kNow}).empty());
  // By request.
  EXPECT_EQ(
      events({.request_id = "req_2"}),
      (std::vector<AuditEvent>{AuditEvent::kOffer, AuditEvent::kAutoAssign, AuditEvent::kRequeue}));
  EXPECT_TRUE(run({.request_id = "req_9"}).empty());
  // By agent: acting or handing over.
  EXPECT_EQ(events({.agent_id = "agent_1"}),
            (std::vector<AuditEvent>{AuditEvent::kAccept, AuditEvent::kTransfer}));
  EXPECT_EQ(events({.agent_id = "agent_2"}),
            (std::vector<AuditEvent>{AuditEvent::kReject, AuditEvent::kAutoAssign,
                                     AuditEvent::kRequeue}));
  // Filters together.
  EXPECT_EQ(events({.from = kNow + 15, .request_id = "req_2", .agent_id = "agent_2"}),
            (std::vector<AuditEvent>{AuditEvent::kAutoAssign, AuditEvent::kRequeue}));
  // Limit and order.
  EXPECT_EQ(events({.limit = 2}),
            (std::vector<AuditEvent>{AuditEvent::kOffer, AuditEvent::kReject}));
  EXPECT_EQ(events({.newest_first = true, .limit = 2}),
            (std::vector<AuditEvent>{AuditEvent::kRequeue, AuditEvent::kTransfer}));
  EXPECT_TRUE(run({.limit = 0}).empty());
}

TYPED_TEST_P(ChatStoreContract, AuditPagesWithACursorInBothOrders) {
  for (int i = 0; i < 5; ++i) {
    this->store().append_audit(
        make_audit(AuditEvent::kOffer, kNow + i, "req_" + std::to_string(i)));
  }
  const auto first = this->store().query_audit({.limit = 2});
  ASSERT_EQ(requests_of(first), (std::vector<std::string>{"req_0", "req_1"}));
  const auto second = this->store().query_audit({.after_id = first.back().id, .limit = 2});
  EXPECT_EQ(requests_of(second), (std::vector<std::string>{"req_2", "req_3"}));

  const auto newest = this->store().query_audit({.newest_first = true, .limit = 2});
  ASSERT_EQ(requests_of(newest), (std::vector<std::string>{"req_4", "req_3"}));
  const auto older =
      this->store().query_audit({.newest_first = true, .after_id = newest.back().id, .limit = 10});
  EXPECT_EQ(requests_of(older), (std::vector<std::string>{"req_2", "req_1", "req_0"}));
}

TYPED_TEST_P(ChatStoreContract, PurgeDropsOldAuditEntriesOnly) {
  auto purge_audit = [this](Millis before) {
    return this->store().purge_expired({.audit = before}, 100).audit_entries;
  };
  Audit old = make_audit(AuditEvent::kAutoAssign, kNow, "req_old", "agent_1");
  old.candidates = {{.agent_id = "agent_1", .verdict = CandidateVerdict::kPicked}};
  this->store().append_audit(old);
  this->store().append_audit(make_audit(AuditEvent::kOffer, kNow + 100, "req_new"));
  EXPECT_EQ(purge_audit(kNow + 100), 1u);
  EXPECT_EQ(requests_of(this->store().query_audit({})), (std::vector<std::string>{"req_new"}));
  EXPECT_EQ(purge_audit(kNow + 100), 0u);
  // Ids are not reused after a purge: cursors stay valid.
  const std::int64_t last = this->store().query_audit({})[0].id;
  EXPECT_EQ(purge_audit(kNow + 1000), 1u);
  EXPECT_GT(this->store().append_audit(make_audit(AuditEvent::kOffer, kNow, "req_x")), last);
}

// Left messages

// A customer's context is replaced whole at each report, kept byte for byte, per customer.
TYPED_TEST_P(ChatStoreContract, KeepsTheLastContextOfEachCustomer) {
  EXPECT_FALSE(this->store().customer_context("cust_1").has_value());
  chat::CustomerContext first{.customer_id = "cust_1",
                              .page_url = "https://shop.example/cart?x=<b>",
                              .page_title = "장바구니 — Shop",
                              .referrer = "https://search.example/?q=a%20b",
                              .lang = "ko",
                              .user_agent = "Mozilla/5.0 (X11; Linux x86_64) Chrome/120",
                              .member_id = "",
                              .updated_at = kNow};
  this->store().set_customer_context(first);
  chat::CustomerContext second = first;
  second.page_url = "https://shop.example/checkout";
  second.member_id = "user1";
  second.lang = "en";
  second.updated_at = kNow + 5;
  this->store().set_customer_context(second);
  chat::CustomerContext other = first;
  other.customer_id = "cust_2";
  this->store().set_customer_context(other);
  const auto read = this->store().customer_context("cust_1");
  ASSERT_TRUE(read.has_value());
  EXPECT_EQ(read->page_url, "https://shop.example/checkout");
  EXPECT_EQ(read->page_title, "장바구니 — Shop");
  EXPECT_EQ(read->referrer, first.referrer);
  EXPECT_EQ(read->lang, "en");
  EXPECT_EQ(read->user_agent, first.user_agent);
  EXPECT_EQ(read->member_id, "user1");
  EXPECT_EQ(read->updated_at, kNow + 5);
  EXPECT_EQ(this->store().customer_context("cust_2")->page_url, first.page_url);
}

// The history: four rooms of two customers, two agents (one handed a room over), categories,
// ratings and messages in Korean and English; every filter alone and together, words found in
// the rooms' messages only (not the bot part), paging by cursor, and words that would be syntax
// to a search engine taken as plain text.
class HistoryFixture {
 public:
  explicit HistoryFixture(ChatStore& store) : store_(store) {
    const std::string c1 = store.get_or_create_conversation("cust_1", "c_cust_1", kNow).id;
    const std::string c2 = store.get_or_create_conversation("cust_2", "c_cust_2", kNow).id;
    room("r_1", c1, "cust_1", "agent_1", kNow + 1, "refund",
         {"환불을 요청합니다", "Order ABC-123"});
    room("r_2", c2, "cust_2", "agent_2", kNow + 2, "delivery", {"배송이 늦어요"});
    room("r_3", c1, "cust_1", "agent_1", kNow + 3, "refund", {"환불 했어요 50%_off"});
    EXPECT_TRUE(store.set_room_agent("r_3", "agent_2"));  // handed over
    room("r_4", c2, "cust_2", "agent_1", kNow + 3, "", {"hello WORLD"});
    EXPECT_TRUE(store.close_room("r_1", "agent_1", kNow + 10));
    EXPECT_TRUE(store.close_room("r_3", "", kNow + 10));
    EXPECT_TRUE(store.close_room("r_4", "agent_1", kNow + 10));
    EXPECT_EQ(store.rate_room("r_1", "cust_1", 5, "친절해요", kNow + 11), RatingOutcome::kStored);
    EXPECT_EQ(store.rate_room("r_3", "cust_1", 2, "", kNow + 11), RatingOutcome::kStored);
    EXPECT_EQ(store.rate_room("r_4", "cust_2", 4, "", kNow + 11), RatingOutcome::kStored);
    // agent_1 handed r_3 over to agent_2 (with a note): it is in agent_1's history too.
    EXPECT_TRUE(store.add_note(NoteRecord{.id = "n_1",
                                          .room_id = "r_3",
                                          .kind = NoteKind::kTransfer,
                                          .author_id = "agent_1",
                                          .to_agent_id = "agent_2",
                                          .created_at = kNow + 4}));
    // The bot part of cust_1's conversation is not a room's: its words find nothing.
    MessageRecord bot_part = make_message(c1, "m_bot");
    bot_part.text = "배송 조회";
    EXPECT_TRUE(store.append_message(bot_part).stored());
  }

  std::vector<std::string> find(chat::RoomQuery query) {
    return ids_of(store_.search_rooms(query));
  }

 private:
  void room(const std::string& id, const std::string& conversation, const std::string& customer,
            const std::string& agent, Millis at, const std::string& category,
            const std::vector<std::string>& texts) {
    RoomRecord record = make_room(id, conversation, customer, agent, at);
    record.category = category;
    record.customer_name = "고객 " + customer;
    EXPECT_TRUE(store_.create_room(record));
    for (std::size_t i = 0; i < texts.size(); ++i) {
      MessageRecord message = make_message(id, id + "_m" + std::to_string(i));
      message.text = texts[i];
      EXPECT_TRUE(store_.append_message(message).stored());
    }
  }
  ChatStore& store_;
};

using Ids = std::vector<std::string>;

TYPED_TEST_P(ChatStoreContract, HistoryFiltersRoomsByTimeAgentCustomerCategoryStateAndRating) {
  HistoryFixture history(this->store());
  using State = chat::RoomQuery::State;
  EXPECT_EQ(history.find({}), (Ids{"r_4", "r_3", "r_2", "r_1"}));
  EXPECT_EQ(history.find({.from = kNow + 2, .to = kNow + 3}), (Ids{"r_2"}));
  EXPECT_EQ(history.find({.agent_id = "agent_1"}), (Ids{"r_4", "r_3", "r_1"}));
  EXPECT_EQ(history.find({.agent_id = "agent_2"}), (Ids{"r_3", "r_2"}));
  EXPECT_TRUE(history.find({.agent_id = "agent_9"}).empty());
  EXPECT_EQ(history.find({.customer_id = "cust_1"}), (Ids{"r_3", "r_1"}));
  EXPECT_EQ(history.find({.category = "refund"}), (Ids{"r_3", "r_1"}));
  EXPECT_EQ(history.find({.state = State::kOpen}), (Ids{"r_2"}));
  EXPECT_EQ(history.find({.state = State::kClosed}), (Ids{"r_4", "r_3", "r_1"}));
  EXPECT_EQ(history.find({.min_score = 4}), (Ids{"r_4", "r_1"}));
  EXPECT_EQ(history.find({.max_score = 2}), (Ids{"r_3"}));
  EXPECT_EQ(history.find({.min_score = 2, .max_score = 4}), (Ids{"r_4", "r_3"}));
  EXPECT_EQ(history.find({.unrated = true}), (Ids{"r_2"}));
  EXPECT_EQ(history.find({.agent_id = "agent_1", .category = "refund", .max_score = 3}),
            (Ids{"r_3"}));

  const auto rooms = this->store().search_rooms({.customer_id = "cust_1"});
  ASSERT_EQ(rooms.size(), 2u);
  const chat::RoomSummary& first = rooms[1];
  EXPECT_EQ(first.room.id, "r_1");
  EXPECT_EQ(first.room.category, "refund");
  EXPECT_EQ(first.room.customer_name, "고객 cust_1");
  EXPECT_EQ(first.room.closed_at, kNow + 10);
  EXPECT_EQ(first.room.closed_by, "agent_1");
  EXPECT_EQ(first.last_seq, 2);
  EXPECT_EQ(first.score, 5);
  EXPECT_EQ(first.rating_comment, "친절해요");
  EXPECT_FALSE(this->store().search_rooms({.state = State::kOpen})[0].score.has_value());
  EXPECT_TRUE(this->store().search_rooms({.limit = 0}).empty());
}

TYPED_TEST_P(ChatStoreContract, HistoryFindsWordsInTheRoomsMessagesAsPlainText) {
  HistoryFixture history(this->store());
  EXPECT_EQ(history.find({.words = {"환불"}}), (Ids{"r_3", "r_1"}));  // two characters
  EXPECT_EQ(history.find({.words = {"환불을"}}), (Ids{"r_1"}));       // part of a word
  EXPECT_EQ(history.find({.words = {"order"}}), (Ids{"r_1"}));        // either case
  EXPECT_EQ(history.find({.words = {"wORLD"}}), (Ids{"r_4"}));
  EXPECT_EQ(history.find({.words = {"abc-12"}}), (Ids{"r_1"}));
  EXPECT_EQ(history.find({.words = {"50%"}}), (Ids{"r_3"}));
  EXPECT_EQ(history.find({.words = {"%"}}), (Ids{"r_3"}));  // not a wildcard
  EXPECT_EQ(history.find({.words = {"_"}}), (Ids{"r_3"}));
  EXPECT_EQ(history.find({.words = {"환불", "50%"}}), (Ids{"r_3"}));    // every word
  EXPECT_EQ(history.find({.words = {"환불", "order"}}), (Ids{"r_1"}));  // in different messages
  EXPECT_TRUE(history.find({.words = {"환불", "world"}}).empty());
  EXPECT_EQ(history.find({.words = {"배송"}}), (Ids{"r_2"}));  // not the bot part's
  EXPECT_EQ(history.find({.customer_id = "cust_1", .words = {"요"}}), (Ids{"r_3", "r_1"}));
  for (const std::string word :
       {"\"", "a\" OR \"b", "NEAR(x y)", "*", "환불*", "' OR 1=1 --", "\\", "%_%", "r_1", "x"}) {
    EXPECT_TRUE(history.find({.words = {word}}).empty()) << word;
  }
}

// Every agent a room was assigned to, however: created with one, transferred, back in the queue
// (no agent), then another; closed rooms keep them. The history's agent filter reads them.
TYPED_TEST_P(ChatStoreContract, RoomsRememberEveryAgentTheyHad) {
  this->open_room("r_1");  // agent_1
  ASSERT_TRUE(this->store().set_room_agent("r_1", "agent_2"));
  ASSERT_TRUE(this->store().set_room_agent("r_1", ""));
  ASSERT_TRUE(this->store().set_room_agent("r_1", "agent_3"));
  ASSERT_TRUE(this->store().set_room_agent("r_1", "agent_2"));
  ASSERT_TRUE(this->store().close_room("r_1", "", kNow));
  EXPECT_EQ(this->store().room_agents("r_1"), (Ids{"agent_1", "agent_2", "agent_3"}));
  EXPECT_TRUE(this->store().room_agents("r_none").empty());
  // A routing decision's room writes count too.
  const std::string conversation_id = this->conversation("cust_2");
  const std::int64_t epoch = this->store().claim_routing_authority("node-a", 0, 5000)->epoch;
  ASSERT_TRUE(this->store().apply_routing_writes(
      epoch, {chat::RoomAssignment{make_room("r_2", conversation_id, "cust_2", "agent_4")}}));
  ASSERT_TRUE(this->store().apply_routing_writes(epoch, {chat::RoomUnassignment{"r_2"}}));
  ASSERT_TRUE(this->store().apply_routing_writes(
      epoch, {chat::RoomAssignment{make_room("r_2", conversation_id, "cust_2", "agent_5")}}));
  EXPECT_EQ(this->store().room_agents("r_2"), (Ids{"agent_4", "agent_5"}));
  EXPECT_EQ(ids_of(this->store().search_rooms({.agent_id = "agent_4"})), (Ids{"r_2"}));
  EXPECT_EQ(ids_of(this->store().search_rooms({.agent_id = "agent_3"})), (Ids{"r_1"}));
}

TYPED_TEST_P(ChatStoreContract, HistoryPagesNewestFirstWithACursor) {
  HistoryFixture history(this->store());
  EXPECT_EQ(history.find({.limit = 2}), (Ids{"r_4", "r_3"}));
  // r_3 and r_4 were opened at the same time: the cursor tells them apart by id.
  EXPECT_EQ(history.find({.before = std::pair{kNow + 3, std::string("r_4")}, .limit = 2}),
            (Ids{"r_3", "r_2"}));
  EXPECT_EQ(history.find({.before = std::pair{kNow + 3, std::string("r_3")}}), (Ids{"r_2", "r_1"}));
  EXPECT_TRUE(history.find({.before = std::pair{kNow + 1, std::string("r_1")}}).empty());
  EXPECT_EQ(history.find({.category = "refund", .before = std::pair{kNow + 3, std::string("r_3")}}),
            (Ids{"r_1"}));
}

chat::AttachmentRecord make_attachment(std::string id, std::string room_id, std::string bytes_of) {
  return chat::AttachmentRecord{.file = {.id = std::move(id),
                                         .name = "영수증 \"1\".png",
                                         .content_type = "image/png",
                                         .size = static_cast<std::int64_t>(bytes_of.size())},
                                .room_id = std::move(room_id),
                                .uploader_id = "cust_1",
                                .sha256 = "ab12",
                                .created_at = kNow};
}

// Attachments: bytes kept exactly (NULs, a megabyte), the record as given, one per id, only into
// an open room; ids that could name another file are refused before any is touched.
TYPED_TEST_P(ChatStoreContract, AttachmentsKeepTheirBytesAndRecordOncePerId) {
  this->open_room("r_1");
  std::string bytes(1024 * 1024, '\0');
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i * 7 % 256);
  ASSERT_TRUE(this->store().add_attachment(make_attachment("f_1", "r_1", bytes), bytes));
  const auto found = this->store().find_attachment("f_1");
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->file.id, "f_1");
  EXPECT_EQ(found->file.name, "영수증 \"1\".png");
  EXPECT_EQ(found->file.content_type, "image/png");
  EXPECT_EQ(found->file.size, 1024 * 1024);
  EXPECT_EQ(found->room_id, "r_1");
  EXPECT_EQ(found->uploader_id, "cust_1");
  EXPECT_EQ(found->sha256, "ab12");
  EXPECT_EQ(found->created_at, kNow);
  EXPECT_EQ(this->store().attachment_bytes("f_1"), bytes);

  // The id is taken: nothing changes.
  EXPECT_FALSE(this->store().add_attachment(make_attachment("f_1", "r_1", "other"), "other"));
  EXPECT_EQ(this->store().attachment_bytes("f_1"), bytes);
  // No such room, or a closed one.
  EXPECT_FALSE(this->store().add_attachment(make_attachment("f_2", "r_none", "x"), "x"));
  this->open_room("r_2");
  ASSERT_TRUE(this->store().close_room("r_2", "", kNow));
  EXPECT_FALSE(this->store().add_attachment(make_attachment("f_3", "r_2", "x"), "x"));
  EXPECT_FALSE(this->store().find_attachment("f_2").has_value());
  EXPECT_FALSE(this->store().attachment_bytes("f_3").has_value());
  // An empty file is a file.
  ASSERT_TRUE(this->store().add_attachment(make_attachment("f_4", "r_1", ""), ""));
  EXPECT_EQ(this->store().attachment_bytes("f_4"), "");
  for (const std::string& id :
       std::vector<std::string>{"../f_1", "", "a/b", "f 1", std::string(200, 'a')}) {
    EXPECT_THROW(this->store().add_attachment(make_attachment(id, "r_1", "x"), "x"),
                 std::runtime_error)
        << id;
  }
}

TYPED_TEST_P(ChatStoreContract, MessagesKeepTheAttachmentsTheyCarry) {
  this->open_room("r_1");
  MessageRecord message = make_message("r_1", "m_1", "cm_1");
  message.attachments = {{"f_1", "영수증.png", "image/png", 2048},
                         {"f_2", "report.pdf", "application/pdf", 1}};
  ASSERT_TRUE(this->store().append_message(message).stored());
  ASSERT_TRUE(this->store().append_message(make_message("r_1", "m_2", "cm_2")).stored());
  const auto read = this->store().read_messages("r_1", 0, 10);
  ASSERT_EQ(read.size(), 2u);
  ASSERT_EQ(read[0].attachments.size(), 2u);
  EXPECT_EQ(read[0].attachments[0].id, "f_1");
  EXPECT_EQ(read[0].attachments[0].name, "영수증.png");
  EXPECT_EQ(read[0].attachments[0].content_type, "image/png");
  EXPECT_EQ(read[0].attachments[0].size, 2048);
  EXPECT_EQ(read[0].attachments[1].id, "f_2");
  EXPECT_TRUE(read[1].attachments.empty());
  // A retry gives the first message back with its files.
  const auto retry = this->store().append_message(message);
  EXPECT_EQ(retry.status, AppendStatus::kDuplicate);
  EXPECT_EQ(retry.message.attachments.size(), 2u);
}

// Rooms idle since a time: by their newest message, or their creation when they have none; open
// rooms only, oldest first, with a limit.
TYPED_TEST_P(ChatStoreContract, FindsOpenRoomsIdleSinceATime) {
  const std::string conversation_id = this->conversation("cust_1");
  ASSERT_TRUE(
      this->store().create_room(make_room("r_quiet", conversation_id, "cust_1", "a", kNow)));
  ASSERT_TRUE(
      this->store().create_room(make_room("r_busy", conversation_id, "cust_1", "a", kNow + 1)));
  ASSERT_TRUE(
      this->store().create_room(make_room("r_new", conversation_id, "cust_1", "a", kNow + 900)));
  ASSERT_TRUE(
      this->store().create_room(make_room("r_shut", conversation_id, "cust_1", "a", kNow + 2)));
  ASSERT_EQ(this->store()
                .append_message(
                    make_message("r_quiet", "m_1", "", "cust_1", SenderRole::kCustomer, kNow + 10))
                .status,
            AppendStatus::kStored);
  ASSERT_EQ(this->store()
                .append_message(
                    make_message("r_busy", "m_2", "", "cust_1", SenderRole::kCustomer, kNow + 10))
                .status,
            AppendStatus::kStored);
  ASSERT_EQ(
      this->store()
          .append_message(make_message("r_busy", "m_3", "", "a", SenderRole::kAgent, kNow + 1000))
          .status,
      AppendStatus::kStored);
  ASSERT_TRUE(this->store().close_room("r_shut", "a", kNow + 3));
  EXPECT_EQ(this->store().idle_rooms(kNow + 500, 10), (std::vector<std::string>{"r_quiet"}));
  EXPECT_EQ(this->store().idle_rooms(kNow + 950, 10),
            (std::vector<std::string>{"r_quiet", "r_new"}));
  EXPECT_EQ(this->store().idle_rooms(kNow + 2000, 10),
            (std::vector<std::string>{"r_quiet", "r_busy", "r_new"}));
  EXPECT_EQ(this->store().idle_rooms(kNow + 2000, 1), (std::vector<std::string>{"r_quiet"}));
  EXPECT_TRUE(this->store().idle_rooms(kNow + 2000, 0).empty());
}

// Private notes and transfer notes of a room: every field kept, oldest first, only for a room
// that exists, each id once.
TYPED_TEST_P(ChatStoreContract, NotesOfARoomKeepEveryFieldInOrder) {
  const std::string conversation_id = this->conversation("cust_1");
  ASSERT_TRUE(this->store().create_room(make_room("r_1", conversation_id, "cust_1")));
  ASSERT_TRUE(this->store().create_room(make_room("r_2", conversation_id, "cust_1")));
  NoteRecord transfer{.id = "n_2",
                      .room_id = "r_1",
                      .kind = NoteKind::kTransfer,
                      .author_id = "agent_1",
                      .author_name = "김 상담",
                      .to_agent_id = "agent_2",
                      .to_agent_name = "Lee",
                      .text = "환불 건, 영수증 확인 필요\n<b>two lines</b>",
                      .created_at = kNow + 10};
  NoteRecord note{.id = "n_1",
                  .room_id = "r_1",
                  .kind = NoteKind::kNote,
                  .author_id = "agent_1",
                  .author_name = "김 상담",
                  .text = "VIP customer",
                  .created_at = kNow + 5};
  ASSERT_TRUE(this->store().add_note(transfer));
  ASSERT_TRUE(this->store().add_note(note));
  EXPECT_FALSE(this->store().add_note(note));  // the id is taken
  NoteRecord elsewhere = note;
  elsewhere.id = "n_3";
  elsewhere.room_id = "r_2";
  ASSERT_TRUE(this->store().add_note(elsewhere));
  NoteRecord orphan = note;
  orphan.id = "n_4";
  orphan.room_id = "r_none";
  EXPECT_FALSE(this->store().add_note(orphan));  // no such room

  const auto notes = this->store().room_notes("r_1", 10);
  ASSERT_EQ(notes.size(), 2u);
  EXPECT_EQ(notes[0].id, "n_1");
  EXPECT_EQ(notes[0].kind, NoteKind::kNote);
  EXPECT_EQ(notes[0].text, "VIP customer");
  EXPECT_EQ(notes[0].to_agent_id, "");
  const NoteRecord& read = notes[1];
  EXPECT_EQ(read.id, "n_2");
  EXPECT_EQ(read.room_id, "r_1");
  EXPECT_EQ(read.kind, NoteKind::kTransfer);
  EXPECT_EQ(read.author_id, "agent_1");
  EXPECT_EQ(read.author_name, "김 상담");
  EXPECT_EQ(read.to_agent_id, "agent_2");
  EXPECT_EQ(read.to_agent_name, "Lee");
  EXPECT_EQ(read.text, transfer.text);
  EXPECT_EQ(read.created_at, kNow + 10);
  EXPECT_EQ(this->store().room_notes("r_1", 1).size(), 1u);
  EXPECT_TRUE(this->store().room_notes("r_1", 0).empty());
  EXPECT_TRUE(this->store().room_notes("r_none", 10).empty());
}

TYPED_TEST_P(ChatStoreContract, LeftMessagesWaitUntilOneAgentTakesThem) {
  LeftMessageRecord first = make_left("l_1", kNow + 5);
  first.handled_at = kNow;  // ignored on add
  first.handled_by = "agent_x";
  ASSERT_TRUE(this->store().add_left_message(first));
  ASSERT_TRUE(this->store().add_left_message(make_left("l_0", kNow + 9)));
  ASSERT_TRUE(this->store().add_left_message(make_left("l_2", kNow + 5)));
  EXPECT_FALSE(this->store().add_left_message(make_left("l_1", kNow + 99)));

  const auto open = this->store().list_left_messages(false, 10);
  EXPECT_EQ(ids_of(open), (std::vector<std::string>{"l_1", "l_2", "l_0"}));
  const LeftMessageRecord& stored = open[0];
  EXPECT_EQ(stored.customer_id, "cust_l_1");
  EXPECT_EQ(stored.customer_name, "Customer l_1");
  EXPECT_EQ(stored.conversation_id, "c_l_1");
  EXPECT_EQ(stored.request_id, "req_l_1");
  EXPECT_EQ(stored.category, "refund");
  EXPECT_EQ(stored.contact, "someone@example.com");
  EXPECT_EQ(stored.text, "please call me back");
  EXPECT_EQ(stored.created_at, kNow + 5);
  EXPECT_FALSE(stored.handled_at.has_value());
  EXPECT_EQ(stored.handled_by, "");

  EXPECT_TRUE(this->store().handle_left_message("l_2", "agent_1", kNow + 20));
  EXPECT_FALSE(this->store().handle_left_message("l_2", "agent_2", kNow + 21));
  EXPECT_FALSE(this->store().handle_left_message("l_9", "agent_2", kNow + 21));
  EXPECT_EQ(ids_of(this->store().list_left_messages(false, 10)),
            (std::vector<std::string>{"l_1", "l_0"}));
  const auto all = this->store().list_left_messages(true, 10);
  EXPECT_EQ(ids_of(all), (std::vector<std::string>{"l_1", "l_2", "l_0"}));
  EXPECT_EQ(all[1].handled_at, kNow + 20);
  EXPECT_EQ(all[1].handled_by, "agent_1");
  EXPECT_EQ(ids_of(this->store().list_left_messages(true, 1)), (std::vector<std::string>{"l_1"}));
  EXPECT_TRUE(this->store().list_left_messages(true, 0).empty());
}

// Ratings

TYPED_TEST_P(ChatStoreContract, ABotAnswerIsRatedOnceByItsCustomerAndGoesWithThem) {
  auto& store = this->store();
  const auto mine = store.get_or_create_conversation("cust_1", "c_1", kNow).id;
  const auto theirs = store.get_or_create_conversation("cust_2", "c_2", kNow).id;
  ASSERT_TRUE(store.append_message(make_message(mine, "m_q")).stored());
  ASSERT_TRUE(store.append_message(make_answer(mine, "m_a", "m_q")).stored());
  ASSERT_TRUE(store.append_message(make_message(theirs, "m_q2", "", "cust_2")).stored());
  ASSERT_TRUE(store.append_message(make_answer(theirs, "m_a2", "m_q2")).stored());

  EXPECT_EQ(store.rate_bot_answer("m_a", "cust_1", 6, "", kNow), RatingOutcome::kInvalidScore);
  // Only a bot answer, and only the customer's own.
  EXPECT_EQ(store.rate_bot_answer("m_q", "cust_1", 5, "", kNow), RatingOutcome::kUnknownRoom);
  EXPECT_EQ(store.rate_bot_answer("m_a2", "cust_1", 5, "", kNow), RatingOutcome::kUnknownRoom);
  EXPECT_EQ(store.rate_bot_answer("m_none", "cust_1", 5, "", kNow), RatingOutcome::kUnknownRoom);
  EXPECT_EQ(store.rate_bot_answer("m_a", "cust_1", 5, "도움이 됐어요", kNow + 1),
            RatingOutcome::kStored);
  EXPECT_EQ(store.rate_bot_answer("m_a", "cust_1", 1, "", kNow + 2), RatingOutcome::kAlreadyRated);
  EXPECT_EQ(store.rate_bot_answer("m_a2", "cust_2", 2, "", kNow + 3), RatingOutcome::kStored);
  const auto summary = store.bot_rating_summary(kNow);
  EXPECT_EQ(summary.count, 2);
  EXPECT_DOUBLE_EQ(summary.average, 3.5);
  EXPECT_EQ(store.bot_rating_summary(kNow + 2).count, 1);
  // Neither counts among the rooms' ratings.
  EXPECT_EQ(store.rating_summary(kNow).count, 0);

  // Erasing a customer takes their ratings of the bot too.
  ASSERT_EQ(store.erase_customer("cust_1").status, chat::ErasureStatus::kErased);
  EXPECT_EQ(store.bot_rating_summary(kNow).count, 1);
}

TYPED_TEST_P(ChatStoreContract, ARoomIsRatedOnceFromOneToFive) {
  this->open_room("r_1");
  EXPECT_EQ(this->store().rate_room("r_1", "cust_1", 0, "", kNow), RatingOutcome::kInvalidScore);
  EXPECT_EQ(this->store().rate_room("r_1", "cust_1", 6, "", kNow), RatingOutcome::kInvalidScore);
  EXPECT_EQ(this->store().rate_room("r_1", "cust_1", -3, "", kNow), RatingOutcome::kInvalidScore);
  EXPECT_FALSE(this->store().find_rating("r_1").has_value());
  EXPECT_EQ(this->store().rate_room("r_9", "cust_1", 5, "", kNow), RatingOutcome::kUnknownRoom);
  EXPECT_EQ(this->store().rate_room("r_1", "cust_2", 5, "", kNow), RatingOutcome::kUnknownRoom);

  ASSERT_TRUE(this->store().close_room("r_1", "cust_1", kNow));
  EXPECT_EQ(this->store().rate_room("r_1", "cust_1", 4, "helpful", kNow + 1),
            RatingOutcome::kStored);
  EXPECT_EQ(this->store().rate_room("r_1", "cust_1", 1, "changed my mind", kNow + 2),
            RatingOutcome::kAlreadyRated);
  const auto rating = this->store().find_rating("r_1");
  ASSERT_TRUE(rating.has_value());
  EXPECT_EQ(rating->room_id, "r_1");
  EXPECT_EQ(rating->customer_id, "cust_1");
  EXPECT_EQ(rating->agent_id, "agent_1");
  EXPECT_EQ(rating->score, 4);
  EXPECT_EQ(rating->comment, "helpful");
  EXPECT_EQ(rating->created_at, kNow + 1);

  // Both ends of the scale are scores.
  this->open_room("r_2");
  this->open_room("r_3");
  EXPECT_EQ(this->store().rate_room("r_2", "cust_1", 1, "", kNow), RatingOutcome::kStored);
  EXPECT_EQ(this->store().rate_room("r_3", "cust_1", 5, "", kNow), RatingOutcome::kStored);
}

TYPED_TEST_P(ChatStoreContract, SummarizesTheRatingsOfAWindow) {
  EXPECT_EQ(this->store().rating_summary(0).count, 0);
  EXPECT_EQ(this->store().rating_summary(0).average, 0.0);
  for (const char* room : {"r_1", "r_2", "r_3"}) this->open_room(room);
  ASSERT_EQ(this->store().rate_room("r_1", "cust_1", 2, "", kNow), RatingOutcome::kStored);
  ASSERT_EQ(this->store().rate_room("r_2", "cust_1", 4, "", kNow + 10), RatingOutcome::kStored);
  ASSERT_EQ(this->store().rate_room("r_3", "cust_1", 5, "", kNow + 20), RatingOutcome::kStored);
  const RatingSummary all = this->store().rating_summary(kNow);
  EXPECT_EQ(all.count, 3);
  EXPECT_NEAR(all.average, 11.0 / 3.0, 1e-9);
  const RatingSummary later = this->store().rating_summary(kNow + 10);  // from that moment on
  EXPECT_EQ(later.count, 2);
  EXPECT_NEAR(later.average, 4.5, 1e-9);
  EXPECT_EQ(this->store().rating_summary(kNow + 21).count, 0);
}

// Strings and persistence

TYPED_TEST_P(ChatStoreContract, HostileStringsAreStoredExactly) {
  const std::vector<std::string> strings = {
      "o'brien",
      "say \"hi\"",
      "back\\slash",
      std::string("nul\0inside", 10),
      std::string("\0", 1),
      std::string(k64KiB, 'x'),
      "x'; DROP TABLE messages; --",
      "' OR '1'='1",
      "%",
      "_",
      "\xff\xfe not utf-8",
      "Ünïcødé 名前 🙂",
  };
  const std::string customer = std::string("cust_'\0\"", 8);
  const std::string conversation_id =
      this->store().get_or_create_conversation(customer, std::string("c_\0'", 4), kNow).id;
  EXPECT_EQ(conversation_id, std::string("c_\0'", 4));
  EXPECT_EQ(this->store().conversation_of_customer(customer)->id, conversation_id);
  EXPECT_FALSE(this->store().conversation_of_customer("cust_'").has_value());
  EXPECT_FALSE(this->store().find_conversation("c_").has_value());

  std::vector<MessageRecord> sent;
  for (std::size_t i = 0; i < strings.size(); ++i) {
    MessageRecord message =
        make_message(conversation_id, strings[i] + std::to_string(i), strings[i], strings[i]);
    message.text = strings[i];
    const auto result = this->store().append_message(message);
    ASSERT_EQ(result.status, AppendStatus::kStored) << i;
    message.seq = static_cast<std::int64_t>(i + 1);
    sent.push_back(message);
  }
  const auto read = this->store().read_messages(conversation_id, 0, 100);
  ASSERT_EQ(read.size(), sent.size());
  for (std::size_t i = 0; i < sent.size(); ++i) expect_same_message(read[i], sent[i]);
  // Near misses are other client ids: nothing stops at a NUL or matches a pattern.
  EXPECT_EQ(this->store().append_message(make_message(conversation_id, "n1", "nul", "nul")).status,
            AppendStatus::kStored);
  EXPECT_EQ(this->store()
                .append_message(make_message(conversation_id, "n2", std::string(k64KiB - 1, 'x'),
                                             std::string(k64KiB, 'x')))
                .status,
            AppendStatus::kStored);
  EXPECT_EQ(this->store().append_message(make_message(conversation_id, "n3", "%", "%")).status,
            AppendStatus::kDuplicate);

  // Rooms, routing records, audit, left messages and ratings keep them too.
  const std::string room_id = std::string("r_\0\"';", 6);
  ASSERT_TRUE(this->store().create_room(make_room(room_id, conversation_id, customer, strings[1])));
  EXPECT_EQ(this->store().find_room(room_id)->agent_id, strings[1]);
  EXPECT_FALSE(this->store().find_room("r_").has_value());

  RequestRecord record;
  record.id = strings[3];
  record.customer = {.id = customer, .display_name = strings[0]};
  record.details = {.category = strings[4], .reason = strings[5], .last_bot_message = strings[11]};
  record.rejected_by = {strings[3], strings[6], strings[7]};
  std::sort(record.rejected_by.begin(), record.rejected_by.end());
  record.room_id = room_id;
  record.agent = {.id = strings[1], .display_name = strings[10]};
  this->store().upsert_request(record);
  const auto records = this->store().load_requests();
  ASSERT_EQ(records.size(), 1u);
  expect_same_record(records[0], record);

  Audit audit = make_audit(AuditEvent::kRefusal, kNow, strings[3], strings[5], strings[6]);
  audit.reason = strings[11];
  audit.candidates = {{.agent_id = strings[4], .verdict = CandidateVerdict::kOffline}};
  this->store().append_audit(audit);
  const auto entries = this->store().query_audit({.request_id = strings[3]});
  ASSERT_EQ(entries.size(), 1u);
  expect_same_audit(entries[0].audit, audit);
  EXPECT_TRUE(this->store().query_audit({.request_id = "nul"}).empty());
  EXPECT_EQ(this->store().query_audit({.agent_id = strings[6]}).size(), 1u);

  LeftMessageRecord left = make_left(strings[3], kNow);
  left.text = strings[5];
  left.contact = strings[1];
  ASSERT_TRUE(this->store().add_left_message(left));
  const auto lefts = this->store().list_left_messages(false, 10);
  ASSERT_EQ(lefts.size(), 1u);
  EXPECT_EQ(lefts[0].id, strings[3]);
  EXPECT_EQ(lefts[0].text, strings[5]);
  EXPECT_EQ(lefts[0].contact, strings[1]);
  EXPECT_FALSE(this->store().handle_left_message("nul", "agent_1", kNow));

  EXPECT_EQ(this->store().rate_room(room_id, customer, 3, strings[5], kNow),
            RatingOutcome::kStored);
  EXPECT_EQ(this->store().find_rating(room_id)->comment, strings[5]);
}

// Canned responses

TYPED_TEST_P(ChatStoreContract, CannedResponsesAreKeptPerAgentInTheOrderSaved) {
  EXPECT_TRUE(this->store().canned_responses("agent_1").empty());
  // Saved in an order that is not the ids' nor the shortcuts'.
  std::vector<CannedResponse> first = {{.id = "cr_z", .shortcut = "zeta", .text = "last letter"},
                                       {.id = "cr_a", .shortcut = "alpha", .text = "first letter"},
                                       {.id = "cr_m", .shortcut = "mid", .text = "line 1\nline 2"}};
  this->store().replace_canned_responses("agent_1", first);
  const auto other = make_canned("b", 2);
  this->store().replace_canned_responses("agent_2", other);
  expect_same_canned(this->store().canned_responses("agent_1"), first);
  expect_same_canned(this->store().canned_responses("agent_2"), other);

  // A replacement drops what is not in the new list; the same shortcut may come back with a new
  // id, and the other agent's list is untouched.
  const std::vector<CannedResponse> second = {
      {.id = "cr_n", .shortcut = "alpha", .text = "new text"}};
  this->store().replace_canned_responses("agent_1", second);
  expect_same_canned(this->store().canned_responses("agent_1"), second);
  expect_same_canned(this->store().canned_responses("agent_2"), other);

  this->store().replace_canned_responses("agent_1", {});
  EXPECT_TRUE(this->store().canned_responses("agent_1").empty());
  expect_same_canned(this->store().canned_responses("agent_2"), other);
  // Two agents may use the same shortcut (ids stay unique).
  std::vector<CannedResponse> same_shortcut = make_canned("b", 1);
  same_shortcut[0].id = "cr_own";
  this->store().replace_canned_responses("agent_1", same_shortcut);
  expect_same_canned(this->store().canned_responses("agent_1"), same_shortcut);
  expect_same_canned(this->store().canned_responses("agent_2"), other);
}

TYPED_TEST_P(ChatStoreContract, CannedResponsesAreReplacedWholeOrNotAtAll) {
  const auto kept = make_canned("k", 3);
  this->store().replace_canned_responses("agent_1", kept);
  // A shortcut twice in one list.
  std::vector<CannedResponse> twice = make_canned("n", 3);
  twice[2].shortcut = twice[0].shortcut;
  EXPECT_THROW(this->store().replace_canned_responses("agent_1", twice), std::runtime_error);
  expect_same_canned(this->store().canned_responses("agent_1"), kept);
  // An id that another agent's entry has.
  this->store().replace_canned_responses("agent_2", make_canned("o", 1));
  std::vector<CannedResponse> taken = make_canned("n", 2);
  taken[1].id = "o_id_0";
  EXPECT_THROW(this->store().replace_canned_responses("agent_1", taken), std::runtime_error);
  expect_same_canned(this->store().canned_responses("agent_1"), kept);
  // Both fixed: stored.
  this->store().replace_canned_responses("agent_1", make_canned("n", 100));
  EXPECT_EQ(this->store().canned_responses("agent_1").size(), 100u);
}

TYPED_TEST_P(ChatStoreContract, CannedResponsesKeepHostileStringsExactly) {
  const std::string nul("a\0b", 3);
  const std::vector<CannedResponse> hostile = {
      {.id = "cr_1", .shortcut = nul, .text = std::string("text\0with NUL", 14)},
      {.id = "cr_2",
       .shortcut = "'; DROP TABLE canned_responses; --",
       .text = std::string(1000, 'x')},
      {.id = "cr_3", .shortcut = "한국어", .text = "🙂 \"quoted\" \\ back"},
      {.id = "cr_4", .shortcut = "A", .text = "upper"},
      {.id = "cr_5", .shortcut = "a", .text = "lower: shortcuts compare byte for byte"}};
  const std::string agent = std::string("agent\0x", 7);
  this->store().replace_canned_responses(agent, hostile);
  expect_same_canned(this->store().canned_responses(agent), hostile);
  EXPECT_TRUE(this->store().canned_responses("agent").empty());
}

TYPED_TEST_P(ChatStoreContract, EverythingSurvivesAReopen) {
  if constexpr (!TypeParam::kPersistent) {
    GTEST_SKIP() << "this backend does not persist";
  } else {
    const std::string conversation_id = this->conversation("cust_1");
    ASSERT_TRUE(this->store().create_room(make_room("r_1", conversation_id, "cust_1")));
    ASSERT_TRUE(this->store().create_room(make_room("r_2", conversation_id, "cust_1")));
    ASSERT_TRUE(this->store().close_room("r_2", "agent_1", kNow + 5));
    ASSERT_EQ(this->store().append_message(make_message(conversation_id, "m_1", "cm_1")).status,
              AppendStatus::kStored);
    ASSERT_EQ(this->store().append_message(make_answer(conversation_id, "b_1", "m_1")).status,
              AppendStatus::kStored);
    ASSERT_EQ(this->store().append_message(make_message("r_1", "m_2", "cm_2")).status,
              AppendStatus::kStored);
    RequestRecord record;
    record.id = "req_1";
    record.customer = {.id = "cust_2", .display_name = "C2"};
    record.requested_at = kNow;
    record.rejected_by = {"agent_2"};
    this->store().upsert_request(record);
    this->store().append_audit(make_audit(AuditEvent::kReject, kNow, "req_1", "agent_2"));
    ASSERT_TRUE(this->store().add_left_message(make_left("l_1", kNow)));
    ASSERT_EQ(this->store().rate_room("r_2", "cust_1", 5, "great", kNow), RatingOutcome::kStored);
    const auto canned = make_canned("c", 3);
    this->store().replace_canned_responses("agent_1", canned);

    this->reopen();

    EXPECT_EQ(this->store().get_or_create_conversation("cust_1", "c_new", kNow).id,
              conversation_id);
    EXPECT_EQ(ids_of(this->store().open_rooms()), (std::vector<std::string>{"r_1"}));
    EXPECT_EQ(this->store().find_room("r_2")->closed_by, "agent_1");
    // Seq continues, dedupe and the answer slot still hold.
    EXPECT_EQ(this->store().last_seq(conversation_id), 2);
    EXPECT_EQ(this->store().append_message(make_message(conversation_id, "m_x", "cm_1")).status,
              AppendStatus::kDuplicate);
    EXPECT_EQ(this->store().append_message(make_answer(conversation_id, "b_2", "m_1")).status,
              AppendStatus::kAlreadyAnswered);
    EXPECT_EQ(this->store().append_message(make_message(conversation_id, "m_3")).message.seq, 3);
    EXPECT_EQ(this->store().append_message(make_message("r_1", "m_4")).message.seq, 2);
    const auto records = this->store().load_requests();
    ASSERT_EQ(records.size(), 1u);
    expect_same_record(records[0], record);
    EXPECT_EQ(this->store().query_audit({.agent_id = "agent_2"}).size(), 1u);
    EXPECT_EQ(ids_of(this->store().list_left_messages(false, 10)),
              (std::vector<std::string>{"l_1"}));
    EXPECT_EQ(this->store().rate_room("r_2", "cust_1", 1, "", kNow), RatingOutcome::kAlreadyRated);
    EXPECT_EQ(this->store().find_rating("r_2")->score, 5);
    expect_same_canned(this->store().canned_responses("agent_1"), canned);
  }
}

// Routing authority

TYPED_TEST_P(ChatStoreContract, OneNodeHoldsTheRoutingAuthorityAtATime) {
  ChatStore& store = this->store();
  const auto first = store.claim_routing_authority("node-a", 0, 5000);
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->epoch, 1);
  EXPECT_EQ(first->lease_until, 5000);
  EXPECT_FALSE(store.claim_routing_authority("node-b", 1000, 5000).has_value());
  // The holder renews under its epoch.
  const auto renewed = store.claim_routing_authority("node-a", 2000, 5000);
  ASSERT_TRUE(renewed.has_value());
  EXPECT_EQ(renewed->epoch, 1);
  EXPECT_EQ(renewed->lease_until, 7000);
  EXPECT_FALSE(store.claim_routing_authority("node-b", 6999, 5000).has_value());
  // Its lease ran out: another node takes it under the next epoch ...
  const auto taken = store.claim_routing_authority("node-b", 7000, 5000);
  ASSERT_TRUE(taken.has_value());
  EXPECT_EQ(taken->epoch, 2);
  // ... and the former holder can neither claim it back nor write.
  EXPECT_FALSE(store.claim_routing_authority("node-a", 7001, 5000).has_value());
  RequestRecord record;
  record.id = "req_stale";
  record.customer = {.id = "cust_1", .display_name = "Kim"};
  record.requested_at = kNow;
  EXPECT_FALSE(store.apply_routing_writes(1, {chat::StoreUpsert{record}}));
  EXPECT_TRUE(store.load_requests().empty());
  record.id = "req_current";
  EXPECT_TRUE(store.apply_routing_writes(2, {chat::StoreUpsert{record}}));
  ASSERT_EQ(store.load_requests().size(), 1u);
  // A holder past its lease that nobody replaced goes on under the same epoch.
  const auto late = store.claim_routing_authority("node-b", 60000, 5000);
  ASSERT_TRUE(late.has_value());
  EXPECT_EQ(late->epoch, 2);
  if constexpr (TypeParam::kPersistent) {
    this->reopen();
    EXPECT_FALSE(this->store().claim_routing_authority("node-a", 61000, 5000).has_value());
    EXPECT_TRUE(this->store().apply_routing_writes(2, {}));
  }
}

TYPED_TEST_P(ChatStoreContract, ACustomersOpenRequestIsFoundUntilItIsErased) {
  ChatStore& store = this->store();
  const std::int64_t epoch = store.claim_routing_authority("node-a", 0, 5000)->epoch;
  EXPECT_FALSE(store.has_open_request("cust_1"));
  RequestRecord record;
  record.id = "req_1";
  record.customer = {.id = "cust_1", .display_name = "Kim"};
  record.requested_at = kNow;
  ASSERT_TRUE(store.apply_routing_writes(epoch, {chat::StoreUpsert{record}}));
  EXPECT_TRUE(store.has_open_request("cust_1"));
  EXPECT_FALSE(store.has_open_request("cust_2"));
  EXPECT_FALSE(store.has_open_request("cust_"));  // exact ids, no patterns
  EXPECT_FALSE(store.has_open_request(""));
  ASSERT_TRUE(store.apply_routing_writes(epoch, {chat::StoreErase{"req_1"}}));
  EXPECT_FALSE(store.has_open_request("cust_1"));
}

TYPED_TEST_P(ChatStoreContract, AReleasedAuthorityIsClaimedAtOnceUnderTheNextEpoch) {
  ChatStore& store = this->store();
  const auto first = store.claim_routing_authority("node-a", 0, 5000);
  ASSERT_TRUE(first.has_value());
  // Only its holder, under its epoch, releases it.
  EXPECT_FALSE(store.release_routing_authority("node-b", first->epoch));
  EXPECT_FALSE(store.release_routing_authority("node-a", first->epoch + 1));
  EXPECT_FALSE(store.claim_routing_authority("node-b", 1000, 5000).has_value());
  EXPECT_TRUE(store.release_routing_authority("node-a", first->epoch));
  EXPECT_FALSE(store.release_routing_authority("node-a", first->epoch));  // once
  const auto next = store.claim_routing_authority("node-b", 1000, 5000);  // lease would run to 5000
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->epoch, first->epoch + 1);
  EXPECT_FALSE(store.apply_routing_writes(first->epoch, {}));  // fenced like any former holder
  // The releasing node comes back under a new epoch too, once the holder let go in turn.
  EXPECT_TRUE(store.release_routing_authority("node-b", next->epoch));
  const auto back = store.claim_routing_authority("node-a", 1001, 5000);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->epoch, next->epoch + 1);
}

TYPED_TEST_P(ChatStoreContract, AgentRecordsAreWrittenByDecisionsAndReadBack) {
  ChatStore& store = this->store();
  EXPECT_TRUE(store.load_agents().empty());
  const std::int64_t epoch = store.claim_routing_authority("node-a", 0, 5000)->epoch;
  const chat::AgentRecord kim{.agent = {.id = "agent_kim", .display_name = "Kim \"상담\" 'x'"},
                              .online = true,
                              .status = chat::AgentStatus::kAway};
  const chat::AgentRecord lee{.agent = {.id = "agent_lee", .display_name = "Lee"},
                              .online = true,
                              .status = chat::AgentStatus::kAvailable};
  ASSERT_TRUE(store.apply_routing_writes(epoch, {chat::StoreAgent{lee}, chat::StoreAgent{kim}}));
  auto agents = store.load_agents();
  ASSERT_EQ(agents.size(), 2u);  // by agent id
  EXPECT_EQ(agents[0].agent.id, "agent_kim");
  EXPECT_EQ(agents[0].agent.display_name, kim.agent.display_name);
  EXPECT_TRUE(agents[0].online);
  EXPECT_EQ(agents[0].status, chat::AgentStatus::kAway);
  EXPECT_EQ(agents[1].agent.id, "agent_lee");
  EXPECT_EQ(agents[1].status, chat::AgentStatus::kAvailable);
  // A later record replaces the earlier one; a stale authority writes none.
  chat::AgentRecord kim_out = kim;
  kim_out.online = false;
  ASSERT_TRUE(store.apply_routing_writes(epoch, {chat::StoreAgent{kim_out}}));
  EXPECT_FALSE(store.apply_routing_writes(epoch + 1, {chat::StoreAgent{kim}}));
  agents = store.load_agents();
  ASSERT_EQ(agents.size(), 2u);
  EXPECT_FALSE(agents[0].online);
  EXPECT_EQ(agents[0].status, chat::AgentStatus::kAway);
  if constexpr (TypeParam::kPersistent) {
    this->reopen();
    EXPECT_EQ(this->store().load_agents().size(), 2u);
  }
}

TYPED_TEST_P(ChatStoreContract, RoutingWritesApplyInOrderAsOneDecision) {
  ChatStore& store = this->store();
  const std::int64_t epoch = store.claim_routing_authority("node-a", 0, 5000)->epoch;
  const std::string conversation_id = this->conversation("cust_1");
  RequestRecord record;
  record.id = "req_1";
  record.customer = {.id = "cust_1", .display_name = "Kim"};
  record.requested_at = kNow;
  record.room_id = "r_1";
  record.agent = {.id = "agent_1", .display_name = "Lee"};
  const Audit audit = make_audit(AuditEvent::kAccept, kNow, "req_1", "agent_1");
  ASSERT_TRUE(store.apply_routing_writes(
      epoch, {chat::StoreUpsert{record}, audit,
              chat::RoomAssignment{make_room("r_1", conversation_id, "cust_1", "agent_1")}}));
  ASSERT_EQ(store.load_requests().size(), 1u);
  EXPECT_EQ(store.find_room("r_1")->agent_id, "agent_1");
  EXPECT_EQ(store.query_audit({}).size(), 1u);
  // A transfer, then a requeue, then the request ends.
  ASSERT_TRUE(store.apply_routing_writes(
      epoch, {chat::RoomAssignment{make_room("r_1", conversation_id, "cust_1", "agent_2")}}));
  EXPECT_EQ(store.find_room("r_1")->agent_id, "agent_2");
  ASSERT_TRUE(store.apply_routing_writes(epoch, {chat::RoomUnassignment{"r_1"}}));
  EXPECT_EQ(store.find_room("r_1")->agent_id, "");
  ASSERT_TRUE(store.apply_routing_writes(epoch, {chat::StoreErase{"req_1"}}));
  EXPECT_TRUE(store.load_requests().empty());
  // A closed room keeps its agent: an assignment racing a close changes nothing.
  ASSERT_TRUE(store.close_room("r_1", "cust_1", kNow + 1));
  ASSERT_TRUE(store.apply_routing_writes(
      epoch, {chat::RoomAssignment{make_room("r_1", conversation_id, "cust_1", "agent_3")}}));
  EXPECT_EQ(store.find_room("r_1")->agent_id, "");
}

TYPED_TEST_P(ChatStoreContract, AFailingRoutingWriteLeavesNothingOfItsDecision) {
  ChatStore& store = this->store();
  const std::int64_t epoch = store.claim_routing_authority("node-a", 0, 5000)->epoch;
  this->conversation("cust_1");
  const std::string other_conversation = this->conversation("cust_2");
  RequestRecord record;
  record.id = "req_1";
  record.customer = {.id = "cust_1", .display_name = "Kim"};
  record.requested_at = kNow;
  // The room names another customer's conversation: it cannot be created.
  EXPECT_THROW(
      store.apply_routing_writes(
          epoch, {chat::StoreUpsert{record}, make_audit(AuditEvent::kAccept, kNow, "req_1"),
                  chat::RoomAssignment{make_room("r_1", other_conversation, "cust_1")}}),
      std::runtime_error);
  EXPECT_TRUE(store.load_requests().empty());
  EXPECT_TRUE(store.query_audit({}).empty());
  EXPECT_FALSE(store.find_room("r_1").has_value());
  // Nothing held over: the next decision goes through.
  EXPECT_TRUE(store.apply_routing_writes(epoch, {chat::StoreUpsert{record}}));
}

TYPED_TEST_P(ChatStoreContract, PingsAStoreThatCanServe) {
  EXPECT_NO_THROW(this->store().ping());
  this->store().append_message(make_message(this->conversation("cust_1"), "m_1"));
  EXPECT_NO_THROW(this->store().ping());
}

// Retention and erasure

chat::CustomerContext context_of(std::string customer_id, Millis at) {
  return chat::CustomerContext{.customer_id = std::move(customer_id),
                               .page_url = "https://shop.example/cart",
                               .lang = "ko",
                               .updated_at = at};
}

// Retention removes, in batches, what is past each kind's cutoff: closed rooms with all they hold
// (and their words in the search), bot messages, left messages, customers' context, files, audit
// entries; open rooms and the conversations themselves stay.
TYPED_TEST_P(ChatStoreContract, RetentionRemovesWhatIsPastItsCutoffInBatches) {
  ChatStore& store = this->store();
  HistoryFixture fixture(store);  // r_1, r_3 (cust_1) and r_4 closed at kNow + 10; r_2 open
  ASSERT_TRUE(store.add_attachment(make_attachment("f_open", "r_2", "receipt"), "receipt"));
  EXPECT_TRUE(store.add_left_message(make_left("l_old", kNow)));
  EXPECT_TRUE(store.add_left_message(make_left("l_new", kNow + 100)));
  store.set_customer_context(context_of("cust_1", kNow));
  store.set_customer_context(context_of("cust_2", kNow + 100));
  store.append_audit(make_audit(AuditEvent::kOffer, kNow, "req_old"));
  store.append_audit(make_audit(AuditEvent::kOffer, kNow + 100, "req_new"));

  // One room per batch: three batches take the three closed rooms, oldest first.
  const chat::RetentionCutoffs chats{.chats = kNow + 11};
  chat::RemovedCounts first = store.purge_expired(chats, 1);
  EXPECT_EQ(first.rooms, 1u);
  EXPECT_FALSE(store.find_room("r_1").has_value());
  EXPECT_TRUE(store.find_room("r_3").has_value());
  chat::RemovedCounts all = first;
  for (int batch = 0; batch < 10; ++batch) {
    const chat::RemovedCounts more = store.purge_expired(chats, 1);
    if (more.total() == 0) break;
    all += more;
  }
  EXPECT_EQ(all.rooms, 3u);
  EXPECT_EQ(all.messages, 5u);  // r_1: 2, r_3: 1, r_4: 1, and the bot part's one
  EXPECT_EQ(all.ratings, 3u);
  EXPECT_EQ(all.notes, 1u);
  EXPECT_EQ(all.left_messages, 1u);
  EXPECT_EQ(all.contexts, 1u);
  EXPECT_EQ(all.attachments, 0u);
  EXPECT_EQ(all.audit_entries, 0u);
  EXPECT_EQ(store.purge_expired(chats, 100).total(), 0u);

  for (const char* gone : {"r_1", "r_3", "r_4"}) {
    EXPECT_FALSE(store.find_room(gone).has_value()) << gone;
    EXPECT_FALSE(store.find_stream(gone).has_value()) << gone;
    EXPECT_TRUE(store.read_messages(gone, 0, 100).empty()) << gone;
    EXPECT_FALSE(store.find_rating(gone).has_value()) << gone;
  }
  EXPECT_TRUE(store.room_notes("r_3", 10).empty());
  EXPECT_EQ(fixture.find({}), (std::vector<std::string>{"r_2"}));
  EXPECT_TRUE(fixture.find({.words = {"환불"}}).empty());
  EXPECT_EQ(fixture.find({.words = {"배송이"}}), (std::vector<std::string>{"r_2"}));
  EXPECT_EQ(store.read_messages("r_2", 0, 100).size(), 1u);
  // The conversations stay (a customer who comes back keeps theirs), their old messages go, and
  // the next message follows the last one removed: a client resuming after seq 1 misses nothing.
  ASSERT_TRUE(store.conversation_of_customer("cust_1").has_value());
  EXPECT_TRUE(store.read_messages("c_cust_1", 0, 100).empty());
  EXPECT_EQ(store.last_seq("c_cust_1"), 1);
  const auto next = store.append_message(make_message("c_cust_1", "m_after_purge"));
  ASSERT_TRUE(next.stored());
  EXPECT_EQ(next.message.seq, 2);
  EXPECT_EQ(store.read_messages("c_cust_1", 1, 100).size(), 1u);
  EXPECT_EQ(ids_of(store.list_left_messages(true, 10)), (std::vector<std::string>{"l_new"}));
  EXPECT_FALSE(store.customer_context("cust_1").has_value());
  EXPECT_TRUE(store.customer_context("cust_2").has_value());
  EXPECT_EQ(store.query_audit({}).size(), 2u);
  EXPECT_EQ(store.attachment_bytes("f_open"), "receipt");

  // Files and audit entries have cutoffs of their own.
  const chat::RemovedCounts files = store.purge_expired({.attachments = kNow + 1}, 100);
  EXPECT_EQ(files.attachments, 1u);
  EXPECT_FALSE(store.find_attachment("f_open").has_value());
  EXPECT_FALSE(store.attachment_bytes("f_open").has_value());
  EXPECT_TRUE(store.find_room("r_2").has_value());
  EXPECT_EQ(store.purge_expired({.audit = kNow + 50}, 100).audit_entries, 1u);
  EXPECT_EQ(requests_of(store.query_audit({})), (std::vector<std::string>{"req_new"}));
}

// An erasure removes everything of one customer, everywhere, and nothing of anybody else; it
// waits until the customer has no open consult.
TYPED_TEST_P(ChatStoreContract, ErasureRemovesEverythingOfOneCustomerAndNothingElse) {
  ChatStore& store = this->store();
  HistoryFixture fixture(store);  // cust_1: r_1, r_3 closed; cust_2: r_2 open, r_4 closed
  // One more room of cust_1 with a file, closed.
  ASSERT_TRUE(store.create_room(make_room("r_5", "c_cust_1", "cust_1", "agent_1", kNow + 20)));
  ASSERT_TRUE(store.add_attachment(make_attachment("f_1", "r_5", "id card"), "id card"));
  ASSERT_TRUE(store.close_room("r_5", "agent_1", kNow + 21));
  EXPECT_TRUE(store.add_left_message(make_left("1", kNow)));  // cust_1's
  EXPECT_TRUE(store.add_left_message(make_left("2", kNow)));  // cust_2's
  store.set_customer_context(context_of("cust_1", kNow));
  store.set_customer_context(context_of("cust_2", kNow));
  store.append_audit(make_audit(AuditEvent::kAccept, kNow, "req_of_r_1", "agent_1"));
  store.append_audit(make_audit(AuditEvent::kAccept, kNow, "req_of_r_4", "agent_1"));
  // A refusal sent to the customer names them as its agent.
  store.append_audit(make_audit(AuditEvent::kRefusal, kNow, "", "cust_1"));

  // cust_2's room is open: refused, nothing changed.
  const chat::ErasureResult refused = store.erase_customer("cust_2");
  EXPECT_EQ(refused.status, chat::ErasureStatus::kOpenConsult);
  EXPECT_EQ(refused.removed.total(), 0u);
  EXPECT_TRUE(store.find_room("r_4").has_value());
  // A waiting request refuses it too.
  RequestRecord waiting;
  waiting.id = "req_w";
  waiting.customer = {.id = "cust_w", .display_name = "Waiting"};
  waiting.requested_at = kNow;
  store.upsert_request(waiting);
  EXPECT_EQ(store.erase_customer("cust_w").status, chat::ErasureStatus::kOpenConsult);

  const chat::ErasureResult erased = store.erase_customer("cust_1");
  ASSERT_EQ(erased.status, chat::ErasureStatus::kErased);
  EXPECT_EQ(erased.removed.conversations, 1u);
  EXPECT_EQ(erased.removed.rooms, 3u);
  EXPECT_EQ(erased.removed.messages, 4u);  // r_1: 2, r_3: 1, bot part: 1
  EXPECT_EQ(erased.removed.attachments, 1u);
  EXPECT_EQ(erased.removed.ratings, 2u);
  EXPECT_EQ(erased.removed.notes, 1u);
  EXPECT_EQ(erased.removed.left_messages, 1u);
  EXPECT_EQ(erased.removed.contexts, 1u);
  EXPECT_EQ(erased.removed.audit_entries, 2u);

  EXPECT_FALSE(store.conversation_of_customer("cust_1").has_value());
  EXPECT_FALSE(store.find_stream("c_cust_1").has_value());
  for (const char* gone : {"r_1", "r_3", "r_5"}) {
    EXPECT_FALSE(store.find_room(gone).has_value()) << gone;
    EXPECT_TRUE(store.read_messages(gone, 0, 100).empty()) << gone;
    EXPECT_TRUE(store.room_agents(gone).empty()) << gone;
  }
  EXPECT_FALSE(store.attachment_bytes("f_1").has_value());
  EXPECT_TRUE(fixture.find({.customer_id = "cust_1"}).empty());
  EXPECT_TRUE(fixture.find({.words = {"환불"}}).empty());
  EXPECT_FALSE(store.customer_context("cust_1").has_value());
  EXPECT_EQ(ids_of(store.list_left_messages(true, 10)), (std::vector<std::string>{"2"}));
  EXPECT_EQ(requests_of(store.query_audit({})), (std::vector<std::string>{"req_of_r_4"}));
  // Everything of cust_2 is still there.
  EXPECT_EQ(fixture.find({.customer_id = "cust_2"}), (std::vector<std::string>{"r_4", "r_2"}));
  EXPECT_EQ(store.read_messages("r_4", 0, 100).size(), 1u);
  EXPECT_TRUE(store.find_rating("r_4").has_value());
  EXPECT_TRUE(store.customer_context("cust_2").has_value());

  // Again: nothing left to erase. A customer who comes back starts afresh.
  const chat::ErasureResult again = store.erase_customer("cust_1");
  EXPECT_EQ(again.status, chat::ErasureStatus::kErased);
  EXPECT_EQ(again.removed.total(), 0u);
  EXPECT_EQ(store.get_or_create_conversation("cust_1", "c_new", kNow + 50).id, "c_new");
}

REGISTER_TYPED_TEST_SUITE_P(
    ChatStoreContract, ConversationIsCreatedOncePerCustomer,
    FindsStreamsOfBothKindsWithOwnerAndLastSeq, SeqStartsAtOneWithoutGapsInEachStream,
    StoresEveryFieldOfAMessage, RepeatedClientMessageIdIsStoredOnce,
    AGroupCommitStoresEachMessageAsAloneInItsOrder,
    GroupCommitsFromManyThreadsKeepEveryStreamsSeqsWhole, ReadsAfterASeqWithALimit,
    AppendToAnUnknownStreamStoresNothing, ConcurrentAppendsToOneStreamLeaveNoGap,
    OneCustomerMessageGetsAtMostOneAnswer, ConcurrentAnswersToOneMessageStoreOne, RoomLifecycle,
    ListsOpenRoomsAndRoomsOfAConversation, RefusesRoomsWithATakenIdOrAnotherCustomersConversation,
    RoutingRecordsRoundTripIntoRestore, RoutingEffectsAppliedToTheStoreRestoreTheSameState,
    AuditEntriesKeepEveryFieldAndTheirCandidates, AuditQueryFiltersByTimeRequestAndAgentWithALimit,
    AuditPagesWithACursorInBothOrders, PurgeDropsOldAuditEntriesOnly,
    NotesOfARoomKeepEveryFieldInOrder, FindsOpenRoomsIdleSinceATime,
    HistoryFiltersRoomsByTimeAgentCustomerCategoryStateAndRating,
    HistoryFindsWordsInTheRoomsMessagesAsPlainText, HistoryPagesNewestFirstWithACursor,
    RoomsRememberEveryAgentTheyHad, AttachmentsKeepTheirBytesAndRecordOncePerId,
    MessagesKeepTheAttachmentsTheyCarry, KeepsTheLastContextOfEachCustomer,
    LeftMessagesWaitUntilOneAgentTakesThem, ARoomIsRatedOnceFromOneToFive,
    ABotAnswerIsRatedOnceByItsCustomerAndGoesWithThem, SummarizesTheRatingsOfAWindow,
    HostileStringsAreStoredExactly, CannedResponsesAreKeptPerAgentInTheOrderSaved,
    CannedResponsesAreReplacedWholeOrNotAtAll, CannedResponsesKeepHostileStringsExactly,
    EverythingSurvivesAReopen, PingsAStoreThatCanServe, OneNodeHoldsTheRoutingAuthorityAtATime,
    AReleasedAuthorityIsClaimedAtOnceUnderTheNextEpoch, ACustomersOpenRequestIsFoundUntilItIsErased,
    AgentRecordsAreWrittenByDecisionsAndReadBack, RoutingWritesApplyInOrderAsOneDecision,
    AFailingRoutingWriteLeavesNothingOfItsDecision, RetentionRemovesWhatIsPastItsCutoffInBatches,
    ErasureRemovesEverythingOfOneCustomerAndNothingElse);

}  // namespace
}  // namespace aicc::store::contract
