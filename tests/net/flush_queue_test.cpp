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
    log.push_back(id);
    if (on_flush) on_flush();
  }
  int id;
  std::vector<int>& log;
  std::function<void()> on_flush;
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

TEST(FlushQueue, OtherWorkRunsBetweenTurnsAndJoinsTheWritesStillWaiting) {
  asio::io_context io(1);
  auto executor = io.get_executor();
  FlushQueue& queue = FlushQueue::of(executor);
  std::vector<int> log;
  const int count = static_cast<int>(FlushQueue::kPerTurn) * 3;
  std::vector<std::shared_ptr<Target>> targets;
  for (int i = 0; i < count; ++i) targets.push_back(std::make_shared<Target>(i, log));
  std::size_t flushed_when_other_work_ran = 0;
  asio::post(io, [&] {
    for (auto& target : targets) queue.enqueue(executor, target);
    // Work that becomes ready meanwhile (a read, a delivery) is not held behind every flush.
    asio::post(io, [&] { flushed_when_other_work_ran = log.size(); });
  });
  io.run();
  ASSERT_EQ(log.size(), static_cast<std::size_t>(count));
  EXPECT_EQ(flushed_when_other_work_ran, FlushQueue::kPerTurn);
  for (int i = 0; i < count; ++i) EXPECT_EQ(log[static_cast<std::size_t>(i)], i);
}

TEST(FlushQueue, ATargetQueuedAgainDuringItsFlushIsFlushedAgainInTheSamePass) {
  asio::io_context io(1);
  auto executor = io.get_executor();
  FlushQueue& queue = FlushQueue::of(executor);
  std::vector<int> log;
  auto target = std::make_shared<Target>(7, log);
  int again = 1;
  target->on_flush = [&] {
    if (again-- > 0) queue.enqueue(executor, target);
  };
  asio::post(io, [&] { queue.enqueue(executor, target); });
  io.run();
  EXPECT_EQ(log, (std::vector<int>{7, 7}));
  EXPECT_EQ(queue.passes(), 1u);
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
