#include "sockjs/session.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace aicc::sockjs {
namespace {

using std::chrono::milliseconds;
using Frames = std::vector<std::string>;

constexpr auto kPolling = ReceiverKind::kPolling;
constexpr auto kStreaming = ReceiverKind::kStreaming;

const std::string kAnotherConnection = R"(c[2010,"Another connection still open"])";
const std::string kGoAway = R"(c[3000,"Go away!"])";
const std::string kInterrupted = R"(c[1002,"Connection interrupted"])";

// A fake clock: tests move time by hand.
class SessionTest : public ::testing::Test {
 protected:
  SessionOptions options() const {
    SessionOptions o;
    o.heartbeat = milliseconds(25000);
    o.disconnect_delay = milliseconds(5000);
    return o;
  }
  Clock::time_point at(int ms) const { return start_ + milliseconds(ms); }

  // A session whose first polling request already got "o".
  Session opened_polling() {
    Session session(options(), at(0));
    const Emit open = session.attach(kPolling, at(0));
    EXPECT_EQ(open.frames, Frames{"o"});
    EXPECT_TRUE(open.end);
    session.detach(at(0));
    return session;
  }

  Clock::time_point start_ = Clock::time_point{} + std::chrono::hours(1);
};

TEST_F(SessionTest, FirstPollingAttachSendsOpenAndEnds) {
  Session session(options(), at(0));
  const Emit emit = session.attach(kPolling, at(0));
  EXPECT_EQ(emit.frames, Frames{"o"});
  EXPECT_TRUE(emit.end);
  EXPECT_FALSE(session.has_receiver());
  EXPECT_FALSE(session.is_closed());
}

TEST_F(SessionTest, FirstStreamingAttachSendsOpenAndStaysAttached) {
  Session session(options(), at(0));
  const Emit emit = session.attach(kStreaming, at(0));
  EXPECT_EQ(emit.frames, Frames{"o"});
  EXPECT_FALSE(emit.end);
  EXPECT_TRUE(session.has_receiver());
}

TEST_F(SessionTest, FirstPollingAttachKeepsPendingMessagesForNextPoll) {
  Session session(options(), at(0));
  ASSERT_TRUE(session.send("early"));
  EXPECT_EQ(session.attach(kPolling, at(0)).frames, Frames{"o"});
  const Emit next = session.attach(kPolling, at(10));
  EXPECT_EQ(next.frames, Frames{R"(a["early"])"});
  EXPECT_TRUE(next.end);
}

TEST_F(SessionTest, FirstStreamingAttachSendsOpenThenPendingMessages) {
  Session session(options(), at(0));
  ASSERT_TRUE(session.send("early"));
  const Emit emit = session.attach(kStreaming, at(0));
  EXPECT_EQ(emit.frames, (Frames{"o", R"(a["early"])"}));
  EXPECT_FALSE(emit.end);
}

TEST_F(SessionTest, SecondReceiverGetsAnotherConnectionStillOpen) {
  Session session = opened_polling();
  EXPECT_TRUE(session.attach(kPolling, at(10)).frames.empty());  // waits for messages
  const Emit second = session.attach(kPolling, at(20));
  EXPECT_EQ(second.frames, Frames{kAnotherConnection});
  EXPECT_TRUE(second.end);

  // The first receiver is still attached and gets the next message.
  EXPECT_TRUE(session.has_receiver());
  ASSERT_TRUE(session.send("m"));
  const Emit flushed = session.flush(at(30));
  EXPECT_EQ(flushed.frames, Frames{R"(a["m"])"});
  EXPECT_TRUE(flushed.end);
}

TEST_F(SessionTest, SecondStreamingReceiverIsRefusedToo) {
  Session session(options(), at(0));
  session.attach(kStreaming, at(0));
  const Emit second = session.attach(kStreaming, at(5));
  EXPECT_EQ(second.frames, Frames{kAnotherConnection});
  EXPECT_TRUE(second.end);
  EXPECT_TRUE(session.has_receiver());
}

TEST_F(SessionTest, DetachOfRefusedRequestLeavesReceiverAttached) {
  Session session = opened_polling();
  session.attach(kStreaming, at(10));
  session.attach(kPolling, at(20));  // refused with 2010
  session.detach(at(21));
  EXPECT_TRUE(session.has_receiver());
  ASSERT_TRUE(session.send("m"));
  EXPECT_EQ(session.flush(at(30)).frames, Frames{R"(a["m"])"});
}

TEST_F(SessionTest, PollingReceiverGetsAllPendingMessagesInOneFrameAndEnds) {
  Session session = opened_polling();
  ASSERT_TRUE(session.send("a"));
  ASSERT_TRUE(session.send("b\"c"));
  const Emit emit = session.attach(kPolling, at(10));
  EXPECT_EQ(emit.frames, Frames{R"(a["a","b\"c"])"});
  EXPECT_TRUE(emit.end);
  EXPECT_EQ(session.pending_bytes(), 0u);
  EXPECT_FALSE(session.has_receiver());
}

TEST_F(SessionTest, PollingReceiverWaitsUntilFlushHasMessages) {
  Session session = opened_polling();
  const Emit waiting = session.attach(kPolling, at(10));
  EXPECT_TRUE(waiting.frames.empty());
  EXPECT_FALSE(waiting.end);
  EXPECT_TRUE(session.has_receiver());

  const Emit nothing = session.flush(at(20));
  EXPECT_TRUE(nothing.frames.empty());
  EXPECT_FALSE(nothing.end);

  ASSERT_TRUE(session.send("hello"));
  const Emit emit = session.flush(at(30));
  EXPECT_EQ(emit.frames, Frames{R"(a["hello"])"});
  EXPECT_TRUE(emit.end);
  EXPECT_FALSE(session.has_receiver());
}

TEST_F(SessionTest, FlushWithoutReceiverEmitsNothingAndKeepsMessages) {
  Session session = opened_polling();
  ASSERT_TRUE(session.send("kept"));
  const Emit emit = session.flush(at(10));
  EXPECT_TRUE(emit.frames.empty());
  EXPECT_FALSE(emit.end);
  EXPECT_EQ(session.pending_bytes(), 4u);
}

TEST_F(SessionTest, StreamingReceiverGetsMessagesAtOnceAndStaysOpen) {
  Session session(options(), at(0));
  session.attach(kStreaming, at(0));
  ASSERT_TRUE(session.send("one"));
  EXPECT_EQ(session.flush(at(1)).frames, Frames{R"(a["one"])"});
  ASSERT_TRUE(session.send("two"));
  ASSERT_TRUE(session.send("three"));
  const Emit emit = session.flush(at(2));
  EXPECT_EQ(emit.frames, Frames{R"(a["two","three"])"});
  EXPECT_FALSE(emit.end);
  EXPECT_TRUE(session.has_receiver());
}

// Protocol XhrStreaming.test_response_limit: with a 4096-byte limit, 31 messages of 130 JSON
// bytes each arrive and then the response ends.
TEST_F(SessionTest, StreamingResponseEndsAfterStreamingBytes) {
  SessionOptions o = options();
  o.streaming_bytes = 4096;
  Session session(o, at(0));
  session.attach(kStreaming, at(0));
  const std::string message(128, 'x');
  for (int i = 0; i < 30; ++i) {
    ASSERT_TRUE(session.send(message));
    const Emit emit = session.flush(at(i + 1));
    ASSERT_EQ(emit.frames.size(), 1u);
    ASSERT_FALSE(emit.end) << "message " << i;
  }
  ASSERT_TRUE(session.send(message));
  const Emit last = session.flush(at(40));
  EXPECT_EQ(last.frames, Frames{"a[\"" + message + "\"]"});
  EXPECT_TRUE(last.end);
  EXPECT_FALSE(session.has_receiver());
  EXPECT_FALSE(session.is_closed());

  // The client reconnects; the session goes on without a new open frame.
  session.detach(at(41));
  ASSERT_TRUE(session.send("after"));
  const Emit again = session.attach(kStreaming, at(42));
  EXPECT_EQ(again.frames, Frames{R"(a["after"])"});
  EXPECT_FALSE(again.end);
}

TEST_F(SessionTest, StreamingLimitCountsTheOpenFrameAndResetsPerResponse) {
  SessionOptions o = options();
  o.streaming_bytes = 10;
  Session session(o, at(0));
  session.attach(kStreaming, at(0));  // "o": 1 byte
  ASSERT_TRUE(session.send("abcd"));  // a["abcd"]: 9 bytes, 10 in all
  EXPECT_TRUE(session.flush(at(1)).end);
  session.detach(at(1));
  ASSERT_TRUE(session.send("abcd"));
  EXPECT_FALSE(session.attach(kStreaming, at(2)).end);  // 9 bytes in the new response
}

TEST_F(SessionTest, IdleStreamingReceiverGetsHeartbeats) {
  Session session(options(), at(0));
  session.attach(kStreaming, at(0));
  EXPECT_EQ(session.next_deadline(), at(25000));
  EXPECT_TRUE(session.on_timer(at(24999)).frames.empty());

  const Emit beat = session.on_timer(at(25000));
  EXPECT_EQ(beat.frames, Frames{"h"});
  EXPECT_FALSE(beat.end);
  EXPECT_EQ(session.next_deadline(), at(50000));
  EXPECT_EQ(session.on_timer(at(50000)).frames, Frames{"h"});
  EXPECT_TRUE(session.has_receiver());
}

TEST_F(SessionTest, MessagesPostponeTheHeartbeat) {
  Session session(options(), at(0));
  session.attach(kStreaming, at(0));
  ASSERT_TRUE(session.send("m"));
  session.flush(at(20000));
  EXPECT_EQ(session.next_deadline(), at(45000));
  EXPECT_TRUE(session.on_timer(at(25000)).frames.empty());
  EXPECT_EQ(session.on_timer(at(45000)).frames, Frames{"h"});
}

TEST_F(SessionTest, HeartbeatEndsPollingResponse) {
  Session session = opened_polling();
  session.attach(kPolling, at(100));
  EXPECT_EQ(session.next_deadline(), at(25100));
  const Emit beat = session.on_timer(at(25100));
  EXPECT_EQ(beat.frames, Frames{"h"});
  EXPECT_TRUE(beat.end);
  EXPECT_FALSE(session.has_receiver());
  EXPECT_FALSE(session.expired(at(25100)));
}

TEST_F(SessionTest, TimerWithoutReceiverEmitsNothing) {
  Session session = opened_polling();
  const Emit emit = session.on_timer(at(30000));
  EXPECT_TRUE(emit.frames.empty());
  EXPECT_FALSE(emit.end);
}

TEST_F(SessionTest, MessagesWithoutReceiverGoInOrderToNextReceiver) {
  Session session = opened_polling();
  ASSERT_TRUE(session.send("1"));
  EXPECT_EQ(session.attach(kPolling, at(10)).frames, Frames{R"(a["1"])"});
  session.detach(at(11));
  ASSERT_TRUE(session.send("2"));
  ASSERT_TRUE(session.send("3"));
  ASSERT_TRUE(session.send("4"));
  EXPECT_EQ(session.attach(kPolling, at(20)).frames, Frames{R"(a["2","3","4"])"});
  session.detach(at(21));
  ASSERT_TRUE(session.send("5"));
  EXPECT_EQ(session.attach(kStreaming, at(30)).frames, Frames{R"(a["5"])"});
}

TEST_F(SessionTest, SendRefusedOverMaxPendingBytes) {
  SessionOptions o = options();
  o.max_pending_bytes = 10;
  Session session(o, at(0));
  session.attach(kPolling, at(0));
  EXPECT_TRUE(session.send("12345"));
  EXPECT_TRUE(session.send("67890"));  // exactly the limit
  EXPECT_EQ(session.pending_bytes(), 10u);
  EXPECT_FALSE(session.send("x"));
  EXPECT_FALSE(session.send(std::string(100, 'y')));
  EXPECT_EQ(session.pending_bytes(), 10u);

  // Delivering frees the queue.
  EXPECT_EQ(session.attach(kPolling, at(1)).frames, Frames{R"(a["12345","67890"])"});
  EXPECT_TRUE(session.send("x"));
}

TEST_F(SessionTest, SendRefusedAfterClose) {
  Session session = opened_polling();
  session.close(3000, "Go away!");
  EXPECT_TRUE(session.is_closed());
  EXPECT_FALSE(session.send("late"));
  EXPECT_EQ(session.pending_bytes(), 0u);
}

TEST_F(SessionTest, CloseGoesToAttachedStreamingReceiverAfterPendingMessages) {
  Session session(options(), at(0));
  session.attach(kStreaming, at(0));
  ASSERT_TRUE(session.send("last words"));
  session.close(3000, "Go away!");
  const Emit emit = session.flush(at(1));
  EXPECT_EQ(emit.frames, (Frames{R"(a["last words"])", kGoAway}));
  EXPECT_TRUE(emit.end);
  EXPECT_FALSE(session.has_receiver());
  ASSERT_TRUE(session.close_status().has_value());
  EXPECT_EQ(session.close_status()->code, 3000);
  EXPECT_EQ(session.close_status()->reason, "Go away!");
}

TEST_F(SessionTest, CloseGoesToPollingReceiverAfterItsMessages) {
  Session session = opened_polling();
  session.attach(kPolling, at(10));
  ASSERT_TRUE(session.send("m"));
  session.close(3000, "Go away!");
  const Emit first = session.flush(at(11));
  EXPECT_EQ(first.frames, Frames{R"(a["m"])"});
  EXPECT_TRUE(first.end);
  session.detach(at(12));
  const Emit second = session.attach(kPolling, at(13));
  EXPECT_EQ(second.frames, Frames{kGoAway});
  EXPECT_TRUE(second.end);
}

TEST_F(SessionTest, CloseGoesToWaitingPollingReceiver) {
  Session session = opened_polling();
  session.attach(kPolling, at(10));
  session.close(3000, "Go away!");
  const Emit emit = session.flush(at(11));
  EXPECT_EQ(emit.frames, Frames{kGoAway});
  EXPECT_TRUE(emit.end);
}

// Protocol Protocol.test_closeSession and JsonPolling.test_close: until the session times out,
// every request gets the close frame.
TEST_F(SessionTest, ClosedSessionAnswersCloseFrameUntilDisconnectDelay) {
  Session session = opened_polling();
  session.close(3000, "Go away!");
  for (int i = 1; i <= 3; ++i) {
    const Emit emit = session.attach(kPolling, at(i * 1000));
    EXPECT_EQ(emit.frames, Frames{kGoAway});
    EXPECT_TRUE(emit.end);
    session.detach(at(i * 1000));
    EXPECT_FALSE(session.expired(at(i * 1000)));
  }
  EXPECT_EQ(session.attach(kStreaming, at(3500)).frames, Frames{kGoAway});
  EXPECT_FALSE(session.expired(at(8499)));
  EXPECT_TRUE(session.expired(at(8500)));
}

// Protocol HandlingClose.test_close_frame: a new request to a closing session gets the close
// frame, not "Another connection still open".
TEST_F(SessionTest, NewReceiverOnClosingSessionGetsCloseFrameNot2010) {
  Session session(options(), at(0));
  session.attach(kStreaming, at(0));
  session.close(3000, "Go away!");
  const Emit newcomer = session.attach(kStreaming, at(1));
  EXPECT_EQ(newcomer.frames, Frames{kGoAway});
  EXPECT_TRUE(newcomer.end);
  const Emit attached = session.flush(at(2));
  EXPECT_EQ(attached.frames, Frames{kGoAway});
  EXPECT_TRUE(attached.end);
}

TEST_F(SessionTest, FirstCloseWins) {
  Session session = opened_polling();
  session.close(3000, "Go away!");
  session.close(1000, "Normal closure");
  EXPECT_EQ(session.close_status()->code, 3000);
  EXPECT_EQ(session.attach(kPolling, at(1)).frames, Frames{kGoAway});
}

TEST_F(SessionTest, CloseBeforeFirstAttachStillOpensFirst) {
  Session session(options(), at(0));
  session.close(3000, "Go away!");
  EXPECT_EQ(session.attach(kPolling, at(0)).frames, Frames{"o"});
  session.detach(at(0));
  EXPECT_EQ(session.attach(kPolling, at(1)).frames, Frames{kGoAway});

  Session streaming(options(), at(0));
  streaming.close(3000, "Go away!");
  const Emit emit = streaming.attach(kStreaming, at(0));
  EXPECT_EQ(emit.frames, (Frames{"o", kGoAway}));
  EXPECT_TRUE(emit.end);
}

TEST_F(SessionTest, ReceiverGoneClosesWithConnectionInterruptedUntilNobodyAsks) {
  Session session(options(), at(0));
  session.attach(kStreaming, at(0));
  ASSERT_TRUE(session.send("lost"));
  session.receiver_gone(at(100));
  EXPECT_FALSE(session.has_receiver());
  EXPECT_TRUE(session.is_closed());
  ASSERT_TRUE(session.close_status().has_value());
  EXPECT_EQ(session.close_status()->code, 1002);
  EXPECT_EQ(session.close_status()->reason, "Connection interrupted");
  EXPECT_EQ(session.pending_bytes(), 0u);
  EXPECT_FALSE(session.send("more"));
  // The session stays to tell the client, like any closed one.
  EXPECT_FALSE(session.expired(at(100)));
  EXPECT_EQ(session.next_deadline(), at(5100));

  // Protocol HandlingClose.test_abort_xhr_streaming: a late request learns of the interruption.
  const Emit late = session.attach(kStreaming, at(200));
  EXPECT_EQ(late.frames, Frames{kInterrupted});
  EXPECT_TRUE(late.end);
  session.detach(at(200));
  EXPECT_FALSE(session.expired(at(5199)));
  EXPECT_TRUE(session.expired(at(5200)));
}

TEST_F(SessionTest, PollingReceiverGoneAlsoInterrupts) {
  Session session = opened_polling();
  session.attach(kPolling, at(10));
  session.receiver_gone(at(20));
  EXPECT_EQ(session.close_status()->code, 1002);
  const Emit next = session.attach(kPolling, at(30));
  EXPECT_EQ(next.frames, Frames{kInterrupted});
  EXPECT_TRUE(next.end);
}

TEST_F(SessionTest, ReceiverGoneKeepsServerCloseStatus) {
  Session session(options(), at(0));
  session.attach(kStreaming, at(0));
  session.close(3001, "Shutting down");
  session.receiver_gone(at(1));
  EXPECT_EQ(session.close_status()->code, 3001);
  EXPECT_FALSE(session.expired(at(4999)));
  EXPECT_TRUE(session.expired(at(5001)));
}

// A poll took a message and ended, but its response never reached the client: the next poll
// must not go on with later messages as if nothing had been missed.
TEST_F(SessionTest, FramesLostOnAnEndedPollInterruptTheSession) {
  Session session = opened_polling();
  session.attach(kPolling, at(10));
  ASSERT_TRUE(session.send("first"));
  const Emit first = session.flush(at(20));
  EXPECT_EQ(first.frames, Frames{R"(a["first"])"});
  EXPECT_TRUE(first.end);
  session.frames_lost(at(21));
  EXPECT_FALSE(session.send("second"));
  const Emit next = session.attach(kPolling, at(30));
  EXPECT_EQ(next.frames, Frames{kInterrupted});
  EXPECT_TRUE(next.end);
}

TEST_F(SessionTest, FramesLostWhileANewerReceiverWaitsTellIt) {
  Session session = opened_polling();
  session.attach(kPolling, at(10));
  ASSERT_TRUE(session.send("first"));
  EXPECT_TRUE(session.flush(at(20)).end);
  EXPECT_TRUE(session.attach(kPolling, at(25)).frames.empty());
  session.frames_lost(at(26));
  const Emit newer = session.flush(at(27));
  EXPECT_EQ(newer.frames, Frames{kInterrupted});
  EXPECT_TRUE(newer.end);
}

TEST_F(SessionTest, OnlyARefusedNewcomerIsMarkedRejected) {
  Session session = opened_polling();
  const Emit waiting = session.attach(kPolling, at(10));
  EXPECT_FALSE(waiting.rejected);
  const Emit second = session.attach(kPolling, at(20));
  EXPECT_EQ(second.frames, Frames{kAnotherConnection});
  EXPECT_TRUE(second.rejected);
  session.close(3000, "Go away!");
  const Emit closing = session.attach(kPolling, at(30));
  EXPECT_EQ(closing.frames, Frames{kGoAway});
  EXPECT_TRUE(closing.rejected);
  const Emit first = session.flush(at(40));
  EXPECT_EQ(first.frames, Frames{kGoAway});
  EXPECT_FALSE(first.rejected);
}

TEST_F(SessionTest, FramesLostAfterCloseKeepTheCloseStatus) {
  Session session = opened_polling();
  session.close(3000, "Go away!");
  const Emit bye = session.attach(kPolling, at(10));
  EXPECT_EQ(bye.frames, Frames{kGoAway});
  session.frames_lost(at(11));
  EXPECT_EQ(session.close_status()->code, 3000);
}

TEST_F(SessionTest, ReceiverGoneWithoutReceiverIsIgnored) {
  Session session = opened_polling();
  session.receiver_gone(at(10));
  EXPECT_FALSE(session.is_closed());
  EXPECT_FALSE(session.expired(at(10)));
}

TEST_F(SessionTest, ExpiresAfterDisconnectDelayWithoutReceiver) {
  Session session = opened_polling();
  EXPECT_EQ(session.next_deadline(), at(5000));
  EXPECT_FALSE(session.expired(at(4999)));
  EXPECT_TRUE(session.expired(at(5000)));
  EXPECT_FALSE(session.close_status().has_value());  // the client simply went away
}

TEST_F(SessionTest, NeverAttachedSessionExpires) {
  Session session(options(), at(0));
  EXPECT_FALSE(session.expired(at(4999)));
  EXPECT_TRUE(session.expired(at(5000)));
}

TEST_F(SessionTest, DoesNotExpireWhileReceiverAttached) {
  Session session(options(), at(0));
  session.attach(kStreaming, at(0));
  EXPECT_FALSE(session.expired(at(3'600'000)));
}

TEST_F(SessionTest, DisconnectDelayCountsFromWhenTheLastResponseFinished) {
  Session session = opened_polling();
  ASSERT_TRUE(session.send("m"));
  EXPECT_TRUE(session.attach(kPolling, at(1000)).end);
  EXPECT_EQ(session.next_deadline(), at(6000));
  session.detach(at(3000));  // the write took two seconds
  EXPECT_EQ(session.next_deadline(), at(8000));
  EXPECT_FALSE(session.expired(at(7999)));
  EXPECT_TRUE(session.expired(at(8000)));
}

TEST_F(SessionTest, StreamingEndDoesNotLoseOrReorderMessages) {
  SessionOptions o = options();
  o.streaming_bytes = 20;
  Session session(o, at(0));
  std::vector<std::string> received;
  const auto collect = [&](const Emit& emit) {
    for (const std::string& frame : emit.frames) {
      if (frame.starts_with("a[")) received.push_back(frame);
    }
  };
  collect(session.attach(kStreaming, at(0)));
  int next = 0;
  for (int round = 0; round < 20; ++round) {
    ASSERT_TRUE(session.send("m" + std::to_string(next++)));
    ASSERT_TRUE(session.send("m" + std::to_string(next++)));
    if (session.has_receiver()) {
      collect(session.flush(at(round)));
    } else {
      session.detach(at(round));
      collect(session.attach(kStreaming, at(round)));
    }
  }
  if (!session.has_receiver()) collect(session.attach(kStreaming, at(100)));
  std::string all;
  for (const std::string& frame : received) all += frame;
  std::string expected;
  for (int i = 0; i < next; i += 2) {
    expected += "a[\"m" + std::to_string(i) + "\",\"m" + std::to_string(i + 1) + "\"]";
  }
  EXPECT_EQ(all, expected);
}

}  // namespace
}  // namespace aicc::sockjs
