#include "util/periodic_thread.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

namespace aicc::util {
namespace {

using namespace std::chrono_literals;

TEST(PeriodicThread, RunsOnItsOwnThreadUntilStopped) {
  std::atomic<int> runs{0};
  std::atomic<bool> other_thread{false};
  const auto caller = std::this_thread::get_id();
  PeriodicThread thread(1ms, [&] {
    other_thread = std::this_thread::get_id() != caller;
    ++runs;
  });
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (runs.load() < 3 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(1ms);
  ASSERT_GE(runs.load(), 3);
  thread.stop();
  const int after_stop = runs.load();
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(runs.load(), after_stop);
  EXPECT_TRUE(other_thread.load());
}

TEST(PeriodicThread, StopDuringTheFirstDelayRunsNothing) {
  std::atomic<int> runs{0};
  {
    PeriodicThread thread(
        1ms, [&] { ++runs; }, std::chrono::milliseconds(60'000));
  }  // stopped by its destructor, long before the first run
  EXPECT_EQ(runs.load(), 0);
}

TEST(PeriodicThread, StopWaitsForTheRunInProgress) {
  std::atomic<bool> started{false};
  std::atomic<bool> finished{false};
  PeriodicThread thread(60'000ms, [&] {
    started = true;
    std::this_thread::sleep_for(30ms);
    finished = true;
  });
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!started.load() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(1ms);
  ASSERT_TRUE(started.load());
  thread.stop();
  EXPECT_TRUE(finished.load());
  thread.stop();  // twice is fine
}

}  // namespace
}  // namespace aicc::util
