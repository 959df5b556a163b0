// The Redis bus against a real redis-server, private to each test (scripts/redis-private.sh on a
// free loopback port): events reach the other node on the channels it listens on and never come
// back to their sender, listening is counted, and after Redis restarts both connections come back
// by themselves and every channel is subscribed again (and reported, so the caller can catch up).
#include "net/redis_bus.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "private_redis.hpp"
#include "util/random.hpp"

namespace aicc::net {
namespace {

using namespace std::chrono_literals;
using testing::free_port;
using testing::PrivateRedis;

// What one node's receiver saw.
class Inbox {
 public:
  Bus::Receiver receiver() {
    return {.event =
                [this](const BusEvent& event) {
                  std::lock_guard lock(mutex_);
                  events_.push_back(event);
                  changed_.notify_all();
                },
            .resubscribed =
                [this](const std::string& channel) {
                  std::lock_guard lock(mutex_);
                  resubscribed_.push_back(channel);
                  changed_.notify_all();
                }};
  }
  // Waits until `count` events arrived (or 5 s), then returns all of them.
  std::vector<BusEvent> events(std::size_t count) {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, 5s, [&] { return events_.size() >= count; });
    return events_;
  }
  std::size_t resubscriptions(const std::string& channel, std::size_t at_least) {
    std::unique_lock lock(mutex_);
    const auto count = [&] {
      return static_cast<std::size_t>(
          std::count(resubscribed_.begin(), resubscribed_.end(), channel));
    };
    changed_.wait_for(lock, 10s, [&] { return count() >= at_least; });
    return count();
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<BusEvent> events_;
  std::vector<std::string> resubscribed_;
};

BusEvent event_with_body(std::string body) {
  BusEvent event;
  event.kind = BusEvent::Kind::kPublish;
  event.destination = "/topic/room.r_1";
  event.content_type = "application/json";
  event.body = std::move(body);
  event.seq = 7;
  return event;
}

bool eventually(const std::function<bool()>& condition) {
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

TEST(RedisBus, DeliversToListeningNodesOnlyAndNeverBackToTheSender) {
  PrivateRedis redis;
  // Before the buses: a bus may call its receiver until it is destroyed.
  Inbox inbox_a, inbox_b, inbox_c;
  RedisBus a(redis.address(), "node-a");
  RedisBus b(redis.address(), "node-b");
  RedisBus c(redis.address(), "node-c");
  a.set_receiver(inbox_a.receiver());
  b.set_receiver(inbox_b.receiver());
  c.set_receiver(inbox_c.receiver());
  const std::string room = topic_channel("/topic/room.r_1");
  a.listen(room);
  b.listen(room);
  c.listen(topic_channel("/topic/other"));
  ASSERT_EQ(inbox_a.resubscriptions(room, 1), 1u);
  ASSERT_EQ(inbox_b.resubscriptions(room, 1), 1u);
  ASSERT_EQ(inbox_c.resubscriptions(topic_channel("/topic/other"), 1), 1u);
  ASSERT_TRUE(eventually(
      [&] { return a.figures().connected && b.figures().connected && c.figures().connected; }));

  a.publish(room, event_with_body("one"));
  a.publish(room, event_with_body("two"));
  const auto got = inbox_b.events(2);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].body, "one");  // in the order sent
  EXPECT_EQ(got[1].body, "two");
  EXPECT_EQ(got[0].origin, "node-a");
  EXPECT_EQ(got[0].seq, 7u);
  EXPECT_GT(got[0].sent_at_us, 0);
  // Marker on c's channel: once it arrived there, a's and c's inboxes had their chance.
  b.publish(topic_channel("/topic/other"), event_with_body("marker"));
  ASSERT_EQ(inbox_c.events(1).size(), 1u);
  EXPECT_TRUE(inbox_a.events(0).empty());   // its own events never come back
  EXPECT_EQ(inbox_c.events(0).size(), 1u);  // not listening on the room
  EXPECT_EQ(a.figures().published, 2u);
  EXPECT_EQ(b.figures().received, 2u);
}

TEST(RedisBus, ListeningIsCountedPerChannel) {
  PrivateRedis redis;
  // Before the buses: a bus may call its receiver until it is destroyed.
  Inbox inbox;
  RedisBus sender(redis.address(), "sender");
  RedisBus node(redis.address(), "node");
  node.set_receiver(inbox.receiver());
  const std::string room = topic_channel("/topic/room.r_2");
  const std::string marker = topic_channel("/topic/marker");
  node.listen(room);
  node.listen(room);
  node.listen(marker);
  ASSERT_EQ(inbox.resubscriptions(marker, 1), 1u);
  ASSERT_EQ(inbox.resubscriptions(room, 1), 1u);
  ASSERT_TRUE(eventually([&] { return sender.figures().connected && node.figures().connected; }));
  node.unlisten(room);  // one of two: still listening
  sender.publish(room, event_with_body("still"));
  ASSERT_EQ(inbox.events(1).size(), 1u);
  node.unlisten(room);  // the last one
  ASSERT_TRUE(eventually([&] { return node.figures().channels == 1; }));
  ASSERT_TRUE(eventually([&] { return node.figures().connected; }));
  sender.publish(room, event_with_body("gone"));
  sender.publish(marker, event_with_body("marker"));
  const auto got = inbox.events(2);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[1].body, "marker");  // "gone" never arrived
  node.unlisten(room);               // more unlistens than listens change nothing
  EXPECT_TRUE(eventually([&] { return node.figures().channels == 1; }));
}

// A room's last subscriber leaves and another comes at once, many times over: UNSUBSCRIBE and
// SUBSCRIBE overlap on the connection, and the channel must end up listened to.
TEST(RedisBus, ListeningAgainRightAfterStoppingStillReceives) {
  PrivateRedis redis;
  // Before the buses: a bus may call its receiver until it is destroyed.
  Inbox inbox;
  RedisBus sender(redis.address(), "sender");
  RedisBus node(redis.address(), "node");
  node.set_receiver(inbox.receiver());
  const std::string room = topic_channel("/topic/room.r_4");
  node.listen(room);
  ASSERT_EQ(inbox.resubscriptions(room, 1), 1u);
  for (int i = 0; i < 20; ++i) {
    node.unlisten(room);
    node.listen(room);
  }
  // Subscribed again, and reported (events sent between the UNSUBSCRIBE and this are the caller's
  // to catch up from the store).
  ASSERT_GE(inbox.resubscriptions(room, 2), 2u);
  ASSERT_TRUE(eventually([&] { return node.figures().connected && sender.figures().connected; }));
  sender.publish(room, event_with_body("still here"));
  const auto got = inbox.events(1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].body, "still here");
}

// A node's only channel is left, joined and left again before Redis answers: the second leave
// must not put a second UNSUBSCRIBE on the wire, whose answer would come to a connection that has
// left subscribed mode (the client library aborts the process on it).
TEST(RedisBus, LeavingTheOnlyChannelTwiceBeforeRedisAnswersIsHarmless) {
  PrivateRedis redis;
  // Before the buses: a bus may call its receiver until it is destroyed.
  Inbox inbox;
  RedisBus sender(redis.address(), "sender");
  RedisBus node(redis.address(), "node");
  node.set_receiver(inbox.receiver());
  const std::string room = topic_channel("/topic/room.r_7");
  for (int round = 0; round < 20; ++round) {
    node.listen(room);
    // Confirmed (connected: every channel listened to is confirmed by Redis).
    ASSERT_TRUE(
        eventually([&] { return node.figures().channels == 1 && node.figures().connected; }));
    node.unlisten(room);
    node.listen(room);
    node.unlisten(room);
    ASSERT_TRUE(eventually([&] { return node.figures().channels == 0; }));
  }
  node.listen(room);
  ASSERT_TRUE(eventually([&] {
    return node.figures().channels == 1 && node.figures().connected && sender.figures().connected;
  }));
  sender.publish(room, event_with_body("after"));
  const auto got = inbox.events(1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].body, "after");
  EXPECT_EQ(node.figures().reconnects, 0u);
}

TEST(RedisBus, ComesBackAfterRedisRestartsAndSubscribesEveryChannelAgain) {
  PrivateRedis redis;
  // Before the buses: a bus may call its receiver until it is destroyed.
  Inbox inbox;
  RedisBus a(redis.address(), "node-a");
  RedisBus b(redis.address(), "node-b");
  b.set_receiver(inbox.receiver());
  const std::string room = topic_channel("/topic/room.r_3");
  b.listen(room);
  ASSERT_EQ(inbox.resubscriptions(room, 1), 1u);
  ASSERT_TRUE(eventually([&] { return a.figures().connected; }));

  redis.stop();
  ASSERT_TRUE(eventually([&] { return !a.figures().connected && !b.figures().connected; }));
  a.publish(room, event_with_body("lost"));  // dropped and counted, never queued
  ASSERT_TRUE(eventually([&] { return a.figures().dropped == 1; }));

  redis.start();
  EXPECT_EQ(inbox.resubscriptions(room, 2), 2u);  // reported again: the caller catches up
  ASSERT_TRUE(eventually([&] { return a.figures().connected && b.figures().connected; }));
  EXPECT_GE(a.figures().reconnects, 1u);
  EXPECT_GE(b.figures().reconnects, 1u);
  a.publish(room, event_with_body("after"));
  const auto got = inbox.events(1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].body, "after");
}

TEST(RedisBus, ANodeWhosePublishesWereLostTellsTheOthersToCatchUp) {
  PrivateRedis redis;
  Inbox inbox;
  RedisBus a(redis.address(), "node-a");
  RedisBus b(redis.address(), "node-b");
  b.set_receiver(inbox.receiver());
  const std::string control(kControlChannel);
  b.listen(control);
  ASSERT_EQ(inbox.resubscriptions(control, 1), 1u);
  ASSERT_TRUE(eventually([&] { return a.figures().connected && b.figures().connected; }));

  // Every publishing connection is cut; b's subscription stays. What a publishes now is lost,
  // in flight or dropped: once its connection is back, a says so.
  redis.cli("CLIENT KILL TYPE normal");
  a.publish(topic_channel("/topic/room.r_9"), event_with_body("lost"));
  const auto got = inbox.events(1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].kind, BusEvent::Kind::kResync);
  EXPECT_EQ(got[0].origin, "node-a");
  EXPECT_EQ(inbox.resubscriptions(control, 1), 1u);  // b never lost its subscription
}

TEST(RedisBus, StartsWithoutRedisAndConnectsWhenItComes) {
  const int port = free_port();
  // Before the buses: a bus may call its receiver until it is destroyed.
  Inbox inbox;
  RedisBus bus(RedisAddress{.host = "127.0.0.1", .port = port}, "early");
  bus.set_receiver(inbox.receiver());
  bus.listen("control");
  std::this_thread::sleep_for(300ms);
  EXPECT_FALSE(bus.figures().connected);
  bus.publish("control", BusEvent{});
  EXPECT_TRUE(eventually([&] { return bus.figures().dropped == 1; }));

  PrivateRedis redis(port);
  EXPECT_EQ(inbox.resubscriptions("control", 1), 1u);
  EXPECT_TRUE(eventually([&] { return bus.figures().connected; }));
  RedisBus other(redis.address(), "other");
  ASSERT_TRUE(eventually([&] { return other.figures().connected; }));
  other.publish("control", event_with_body("hello"));
  ASSERT_EQ(inbox.events(1).size(), 1u);
}

}  // namespace
}  // namespace aicc::net
