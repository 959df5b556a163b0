#include "net/flush_queue.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <functional>
#include <memory>
#include <vector>

namespace aicc::net {
namespace {

namespace asio = boost::asio;

// A transport stand-in: records the order of its flushes in a shared log.
struct Target final : Flushable {
  Target(int id, std::vector<int>& log) : id(id), log(log) {}
  void flush_now() override {
    queued = false;
    log.push_back(id);
    if (on_flush) on_flush();
  }
  int id;
  std::vector<int>& log;
  std::function<void()> on_flush;
  bool queued = false;  // for callers that queue it once until it is flushed, as transports do
};

TEST(FlushQueue, FlushesEachQueuedTargetOnceAfterTheCurrentHandler) {
  asio::io_context io(1);
  auto executor = io.get_executor();
  FlushQueue& queue = FlushQueue::of(executor);
  std::vector<int> log;
  auto a = std::make_shared<Target>(1, log);
  auto b = std::make_shared<Target>(2, log);
  asio::post(io, [&] {
    queue.enqueue(executor, a);
    queue.enqueue(executor, b);
    EXPECT_TRUE(log.empty());  // not written inside the handler that queued them
  });
  io.run();
  EXPECT_EQ(log, (std::vector<int>{1, 2}));
  EXPECT_EQ(queue.passes(), 1u);
  EXPECT_EQ(queue.flushed(), 2u);
}

// Deliveries to many subscribers, one after another (a flat-out publisher): each pass writes every
// connection queued before it began, so the writes keep up with the deliveries however many
// connections each of them queues.
TEST(FlushQueue, APassFlushesEverythingQueuedBeforeItBeganWhateverElseIsWaiting) {
  asio::io_context io(1);
  auto executor = io.get_executor();
  FlushQueue& queue = FlushQueue::of(executor);
  std::vector<int> log;
  constexpr int kSubscribers = 10000;
  std::vector<std::shared_ptr<Target>> targets;
  for (int i = 0; i < kSubscribers; ++i) targets.push_back(std::make_shared<Target>(i, log));
  std::vector<std::size_t> flushed_before_delivery;
  // Each delivery queues every subscriber (as a transport does once per pass), then the next
  // delivery is already waiting behind the pass it caused.
  std::function<void(int)> deliver = [&](int left) {
    flushed_before_delivery.push_back(log.size());
    for (auto& target : targets) queue.enqueue(executor, target);
    if (left > 0) asio::post(io, [&, left] { deliver(left - 1); });
  };
  asio::post(io, [&] { deliver(4); });
  io.run();
  ASSERT_EQ(log.size(), static_cast<std::size_t>(5 * kSubscribers));
  // The pass between two deliveries wrote all that the first queued.
  EXPECT_EQ(flushed_before_delivery, (std::vector<std::size_t>{0, 10000, 20000, 30000, 40000}));
  EXPECT_EQ(queue.passes(), 5u);
}

// A backlog of deliveries (a flat-out publisher's, all queued before the first pass): once
// enough were made, the pass runs from the delivering handler, not behind the whole backlog.
TEST(FlushQueue, ABacklogOfDeliveriesIsWrittenAsItGoesNotAfterItAll) {
  asio::io_context io(1);
  auto executor = io.get_executor();
  FlushQueue& queue = FlushQueue::of(executor);
  std::vector<int> log;
  constexpr std::size_t kSubscribers = 100;
  std::vector<std::shared_ptr<Target>> targets;
  for (std::size_t i = 0; i < kSubscribers; ++i)
    targets.push_back(std::make_shared<Target>(static_cast<int>(i), log));
  // The deliveries per pass before it runs at once: the floor, with this few connections.
  static_assert(FlushQueue::kDeliveriesPerPass >= FlushQueue::kDeliveriesPerWrite * kSubscribers);
  const std::size_t publishes_per_pass = FlushQueue::kDeliveriesPerPass / kSubscribers + 1;
  std::vector<std::size_t> flushed_at_publish;
  for (std::size_t k = 0; k < 3 * publishes_per_pass; ++k) {
    asio::post(io, [&] {
      flushed_at_publish.push_back(log.size());
      for (auto& target : targets) {
        if (target->queued) continue;  // a transport queues itself once
        target->queued = true;
        queue.enqueue(executor, target);
      }
      queue.delivered(kSubscribers);
    });
  }
  io.run();
  ASSERT_EQ(flushed_at_publish.size(), 3 * publishes_per_pass);
  EXPECT_EQ(flushed_at_publish[publishes_per_pass - 1], 0u);        // not yet
  EXPECT_EQ(flushed_at_publish[publishes_per_pass], kSubscribers);  // one pass, inline
  EXPECT_EQ(flushed_at_publish[2 * publishes_per_pass], 2 * kSubscribers);
  EXPECT_EQ(log.size(), 3 * kSubscribers);  // the third by the pass behind them all
}

// Few deliveries between passes (a paced load) leave the pass to the event loop.
TEST(FlushQueue, FewDeliveriesLeaveThePassToItsTurn) {
  asio::io_context io(1);
  auto executor = io.get_executor();
  FlushQueue& queue = FlushQueue::of(executor);
  std::vector<int> log;
  auto target = std::make_shared<Target>(1, log);
  asio::post(io, [&] {
    queue.enqueue(executor, target);
    queue.delivered(FlushQueue::kDeliveriesPerPass - 1);
    EXPECT_TRUE(log.empty());
  });
  io.run();
  EXPECT_EQ(log, (std::vector<int>{1}));
}

// What a flush queues again (more output came while writing) waits for the next pass, behind the
// work that became ready meanwhile, whose output it may then join.
TEST(FlushQueue, ATargetQueuedDuringAPassWaitsForTheNextAfterOtherWork) {
  asio::io_context io(1);
  auto executor = io.get_executor();
  FlushQueue& queue = FlushQueue::of(executor);
  std::vector<int> log;
  auto target = std::make_shared<Target>(7, log);
  int again = 1;
  target->on_flush = [&] {
    if (again-- > 0) {
      asio::post(io, [&] { log.push_back(0); });  // work that became ready during the write
      queue.enqueue(executor, target);
    }
  };
  asio::post(io, [&] { queue.enqueue(executor, target); });
  io.run();
  EXPECT_EQ(log, (std::vector<int>{7, 0, 7}));
  EXPECT_EQ(queue.passes(), 2u);
  EXPECT_EQ(queue.flushed(), 2u);
}

TEST(FlushQueue, EachIoContextHasItsOwnQueue) {
  asio::io_context first(1), second(1);
  EXPECT_NE(&FlushQueue::of(first.get_executor()), &FlushQueue::of(second.get_executor()));
  EXPECT_EQ(&FlushQueue::of(first.get_executor()), &FlushQueue::of(first.get_executor()));
}

TEST(FlushQueue, WhatIsQueuedWhenTheContextGoesAwayIsReleasedUnflushed) {
  std::vector<int> log;
  auto target = std::make_shared<Target>(1, log);
  {
    asio::io_context io(1);
    auto executor = io.get_executor();
    FlushQueue::of(executor).enqueue(executor, target);
    EXPECT_EQ(target.use_count(), 2);
  }
  EXPECT_TRUE(log.empty());
  EXPECT_EQ(target.use_count(), 1);
}

}  // namespace
}  // namespace aicc::net
