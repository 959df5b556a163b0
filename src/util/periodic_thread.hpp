// A thread of its own that runs one task every interval, until it is stopped.
//
// For work that must keep its beat whatever else the process is busy with (the routing
// authority's lease, the readiness checks): a timer on a busy executor fires late.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace aicc::util {

class PeriodicThread {
 public:
  // Runs `tick` after `first_delay`, then every `interval` after the previous run ended. `tick`
  // must not throw (an exception escaping a thread terminates the process).
  PeriodicThread(std::chrono::milliseconds interval, std::function<void()> tick,
                 std::chrono::milliseconds first_delay = std::chrono::milliseconds(0));
  ~PeriodicThread();  // stop()
  PeriodicThread(const PeriodicThread&) = delete;
  PeriodicThread& operator=(const PeriodicThread&) = delete;

  // No run starts after this returns; a run in progress is waited for. Idempotent; not from
  // inside `tick`.
  void stop();

 private:
  void run(std::chrono::milliseconds first_delay);

  const std::chrono::milliseconds interval_;
  const std::function<void()> tick_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;  // last: started once the rest is ready
};

}  // namespace aicc::util
