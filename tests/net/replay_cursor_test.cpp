#include "net/replay_cursor.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace aicc::net {
namespace {

using MessagePtr = ReplayCursor::MessagePtr;

MessagePtr stored(std::uint64_t seq) {
  return stomp::make_message("/topic/room/r1", "application/json",
                             "{\"seq\":" + std::to_string(seq) + "}", {}, seq);
}

MessagePtr event(const std::string& name) {
  return stomp::make_message("/topic/room/r1", "application/json", "{\"type\":\"" + name + "\"}");
}

// A room's stored messages, seq 1..size(), read in pages like the store port does.
struct Room {
  std::vector<MessagePtr> messages;

  // Stores the next message and returns it, as a publish would carry it.
  MessagePtr append() {
    messages.push_back(stored(messages.size() + 1));
    return messages.back();
  }
  void append(std::size_t count) {
    for (std::size_t i = 0; i < count; ++i) append();
  }
  std::vector<MessagePtr> page(std::uint64_t after, std::size_t count) const {
    std::vector<MessagePtr> out;
    for (std::uint64_t seq = after + 1; seq <= messages.size() && out.size() < count; ++seq)
      out.push_back(messages[seq - 1]);
    return out;
  }
};

// What a subscriber was given: seqs of messages, and the body of each seq-0 event as "type".
struct Delivered {
  std::vector<std::uint64_t> seqs;
  std::vector<std::string> all;  // in delivery order: "5" for seq 5, "typing" for an event
};

// Takes up to `budget` ready messages (the room in the outbound queue).
std::size_t drain(ReplayCursor& cursor, Delivered& out, std::size_t budget = SIZE_MAX) {
  std::size_t taken = 0;
  while (taken < budget) {
    const MessagePtr& message = cursor.peek();
    if (!message) break;
    if (message->seq != 0) {
      out.seqs.push_back(message->seq);
      out.all.push_back(std::to_string(message->seq));
    } else {
      const std::string& tail = message->tail_for(stomp::Version::k12);
      const auto start = tail.find("\"type\":\"") + 8;
      out.all.push_back(tail.substr(start, tail.find('"', start) - start));
    }
    cursor.pop();
    ++taken;
  }
  return taken;
}

// Answers the read the cursor asks for, if any, from `room`. Returns whether one was asked.
bool serve_read(ReplayCursor& cursor, const Room& room) {
  auto after = cursor.start_read();
  if (!after) return false;
  cursor.on_page(room.page(*after, cursor.limits().page_size), true);
  return true;
}

std::vector<std::uint64_t> range(std::uint64_t from, std::uint64_t to) {
  std::vector<std::uint64_t> out;
  for (std::uint64_t seq = from; seq <= to; ++seq) out.push_back(seq);
  return out;
}

TEST(ReplayCursor, DeliversAnyLengthInPagesUnderBackPressure) {
  Room room;
  room.append(2500);
  ReplayCursor cursor(0, {.page_size = 100});
  Delivered out;
  int reads = 0;
  // The client takes 7 messages per turn: far less than a page.
  for (int turn = 0; turn < 10000 && !cursor.finished(); ++turn) {
    drain(cursor, out, 7);
    if (serve_read(cursor, room)) ++reads;
  }
  EXPECT_TRUE(cursor.finished());
  EXPECT_EQ(out.seqs, range(1, 2500));
  EXPECT_EQ(reads, 26);  // 25 full pages, then the empty one that shows the end
}

TEST(ReplayCursor, AsksForOnePageAtATimeAfterTheLastFetched) {
  Room room;
  room.append(250);
  ReplayCursor cursor(20, {.page_size = 100});
  ASSERT_EQ(cursor.start_read(), std::optional<std::uint64_t>(20));
  EXPECT_EQ(cursor.start_read(), std::nullopt) << "a second read while one is in flight";
  Delivered out;
  EXPECT_EQ(drain(cursor, out), 0u) << "nothing is ready before the page";
  cursor.on_page(room.page(20, 100), true);
  EXPECT_EQ(cursor.start_read(), std::nullopt) << "read ahead of what is fetched";
  drain(cursor, out, 99);
  EXPECT_EQ(cursor.start_read(), std::nullopt) << "one fetched message still waits";
  drain(cursor, out, 1);
  EXPECT_EQ(cursor.start_read(), std::optional<std::uint64_t>(120));
  EXPECT_FALSE(cursor.finished());
}

TEST(ReplayCursor, HeldLiveMessagesFollowTheReplayOnceAndInOrder) {
  Room room;
  room.append(10);
  ReplayCursor cursor(3, {.page_size = 4});
  Delivered out;
  ASSERT_TRUE(serve_read(cursor, room));  // 4..7
  // Published while the replay runs: some are also in the pages still to come.
  cursor.on_live(room.messages[7]);  // seq 8
  cursor.on_live(event("typing"));
  cursor.on_live(room.append());     // 11
  cursor.on_live(room.messages[5]);  // seq 6, fetched already
  cursor.on_live(event("read"));
  cursor.on_live(room.append());  // 12
  while (!cursor.finished()) {
    drain(cursor, out, 3);
    serve_read(cursor, room);
  }
  EXPECT_EQ(out.seqs, range(4, 12));
  EXPECT_EQ(out.all, (std::vector<std::string>{"4", "5", "6", "7", "8", "9", "10", "11", "12",
                                               "typing", "read"}));
  EXPECT_EQ(cursor.last_seq(), 12u);
}

TEST(ReplayCursor, DroppedLiveMessagesAreReadFromTheStoreBeforeWhatIsHeldAfterThem) {
  Room room;
  room.append(30);
  ReplayCursor cursor(0, {.page_size = 10, .max_held_messages = 3});
  Delivered out;
  ASSERT_TRUE(serve_read(cursor, room));  // 1..10
  for (int i = 0; i < 12; ++i)
    cursor.on_live(room.append());  // 31..42: 31..33 held, the rest dropped
  cursor.on_live(event("joined"));
  while (!cursor.finished()) {
    drain(cursor, out, 4);
    serve_read(cursor, room);
  }
  EXPECT_EQ(out.seqs, range(1, 42));
  EXPECT_EQ(out.all.back(), "joined");
}

TEST(ReplayCursor, LiveMessagesDroppedAfterTheEndWasReachedAreReadAgain) {
  Room room;
  room.append(10);
  ReplayCursor cursor(0, {.page_size = 20, .max_held_messages = 3});
  ASSERT_TRUE(serve_read(cursor, room));  // 1..10, a short page: the end
  cursor.on_live(event("typing"));
  for (int i = 0; i < 10; ++i) cursor.on_live(room.append());  // 11..13 held, 14..20 dropped
  cursor.on_live(event("read"));
  Delivered out;
  drain(cursor, out);
  EXPECT_EQ(out.seqs, range(1, 10)) << "what is held waits for the dropped ones";
  EXPECT_FALSE(cursor.finished());
  EXPECT_EQ(cursor.start_read(), std::optional<std::uint64_t>(10));
  cursor.on_page(room.page(10, 20), true);
  drain(cursor, out);
  EXPECT_TRUE(cursor.finished());
  EXPECT_EQ(out.seqs, range(1, 20));
  EXPECT_EQ(out.all.back(), "read");
  EXPECT_EQ(out.all[out.all.size() - 2], "typing");
}

TEST(ReplayCursor, MessageDroppedWhileAReadWasInFlightIsReadAgain) {
  Room room;
  room.append(5);
  ReplayCursor cursor(0, {.page_size = 10, .max_held_messages = 0});
  auto after = cursor.start_read();
  ASSERT_TRUE(after);
  const auto page = room.page(*after, 10);  // the store ran the read: 1..5
  cursor.on_live(room.append());            // 6 is stored, published and dropped (hold of 0)
  cursor.on_page(page, true);               // the short page arrives after it
  Delivered out;
  while (!cursor.finished() && !cursor.failed()) {
    drain(cursor, out);
    ASSERT_TRUE(serve_read(cursor, room) || cursor.finished());
  }
  EXPECT_FALSE(cursor.failed());
  EXPECT_EQ(out.seqs, range(1, 6));
}

TEST(ReplayCursor, StoreWithoutADroppedSeqFailsInsteadOfReadingForever) {
  Room room;
  room.append(5);
  ReplayCursor cursor(0, {.page_size = 10, .max_held_messages = 0});
  cursor.on_live(stored(9));  // published, dropped, yet the store never gives it
  Delivered out;
  for (int turn = 0; turn < 10 && !cursor.failed(); ++turn) {
    drain(cursor, out);
    serve_read(cursor, room);
  }
  EXPECT_TRUE(cursor.failed());
  EXPECT_FALSE(cursor.failure().empty());
  EXPECT_FALSE(cursor.finished());
}

TEST(ReplayCursor, OldestEventsAreDroppedPastTheirBound) {
  Room room;
  ReplayCursor cursor(0, {.page_size = 10, .max_held_events = 2});
  cursor.on_live(event("typing"));
  cursor.on_live(event("read"));
  cursor.on_live(event("closed"));
  EXPECT_EQ(cursor.dropped_events(), 1u);
  Delivered out;
  ASSERT_TRUE(serve_read(cursor, room));
  drain(cursor, out);
  EXPECT_TRUE(cursor.finished());
  EXPECT_EQ(out.all, (std::vector<std::string>{"read", "closed"}));
}

TEST(ReplayCursor, FailedReadDeliversNothingMoreAndNeverFinishes) {
  Room room;
  room.append(30);
  ReplayCursor cursor(0, {.page_size = 10});
  Delivered out;
  ASSERT_TRUE(serve_read(cursor, room));
  drain(cursor, out);
  cursor.on_live(room.append());
  ASSERT_TRUE(cursor.start_read());
  cursor.on_page({}, false);
  EXPECT_TRUE(cursor.failed());
  EXPECT_EQ(drain(cursor, out), 0u);
  EXPECT_EQ(cursor.start_read(), std::nullopt);
  EXPECT_FALSE(cursor.finished());
  EXPECT_EQ(out.seqs, range(1, 10));
}

TEST(ReplayCursor, CaughtUpSubscriberGoesLiveAfterOneEmptyRead) {
  Room room;
  room.append(4);
  ReplayCursor cursor(4, {.page_size = 10});
  EXPECT_FALSE(cursor.finished());
  ASSERT_TRUE(serve_read(cursor, room));
  Delivered out;
  EXPECT_EQ(drain(cursor, out), 0u);
  EXPECT_TRUE(cursor.finished());
}

}  // namespace
}  // namespace aicc::net
