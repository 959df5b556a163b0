#include "util/periodic_thread.hpp"

#include <utility>

namespace aicc::util {

PeriodicThread::PeriodicThread(std::chrono::milliseconds interval, std::function<void()> tick,
                               std::chrono::milliseconds first_delay)
    : interval_(interval),
      tick_(std::move(tick)),
      thread_([this, first_delay] { run(first_delay); }) {}

PeriodicThread::~PeriodicThread() { stop(); }

void PeriodicThread::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void PeriodicThread::run(std::chrono::milliseconds first_delay) {
  std::unique_lock lock(mutex_);
  if (wake_.wait_for(lock, first_delay, [this] { return stopping_; })) return;
  while (true) {
    lock.unlock();
    tick_();
    lock.lock();
    if (wake_.wait_for(lock, interval_, [this] { return stopping_; })) return;
  }
}

}  // namespace aicc::util
