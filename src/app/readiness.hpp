// Whether this node should get new traffic: what it cannot serve without (the store; the bus when
// there is one) checked in the background every second, and read by GET /health/ready without
// blocking an I/O thread. /health answers while the process lives; /health/ready says 503 with the
// reasons while a check fails, before the first round of checks and once shutdown began, so a
// load balancer drains the node.
#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "util/periodic_thread.hpp"

namespace aicc::app {

class Readiness {
 public:
  struct Check {
    std::string name;  // "store", "bus"
    // nullopt when fine, else what is wrong (one line, for the answer and the log). May block.
    std::function<std::optional<std::string>()> problem;
  };
  struct Problem {
    std::string check;
    std::string reason;
  };
  struct Snapshot {
    bool ready = false;
    std::vector<Problem> problems;  // empty when ready
  };

  Readiness(std::vector<Check> checks, std::chrono::milliseconds interval);
  Readiness(const Readiness&) = delete;
  Readiness& operator=(const Readiness&) = delete;

  // From now on not ready, whatever the checks say (graceful shutdown).
  void set_draining();
  Snapshot snapshot() const;

 private:
  void check_once();

  const std::vector<Check> checks_;
  mutable std::mutex mutex_;
  bool draining_ = false;
  bool checked_ = false;  // one round of checks has finished
  std::vector<Problem> problems_;
  util::PeriodicThread checks_thread_;  // last: stopped (destroyed) first
};

}  // namespace aicc::app
