#include "app/readiness.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <exception>

namespace aicc::app {

Readiness::Readiness(std::vector<Check> checks, std::chrono::milliseconds interval)
    : checks_(std::move(checks)), checks_thread_(interval, [this] { check_once(); }) {}

void Readiness::set_draining() {
  std::lock_guard lock(mutex_);
  draining_ = true;
}

Readiness::Snapshot Readiness::snapshot() const {
  std::lock_guard lock(mutex_);
  Snapshot snapshot;
  if (draining_) {
    snapshot.problems.push_back({"server", "shutting down"});
  } else if (!checked_) {
    snapshot.problems.push_back({"server", "starting"});
  } else {
    snapshot.problems = problems_;
  }
  snapshot.ready = snapshot.problems.empty();
  return snapshot;
}

void Readiness::check_once() {
  std::vector<Problem> found;
  for (const Check& check : checks_) {
    std::optional<std::string> problem;
    try {
      problem = check.problem();
    } catch (const std::exception& e) {
      problem = e.what();
    }
    if (problem) found.push_back({check.name, std::move(*problem)});
  }
  std::lock_guard lock(mutex_);
  // Changes are logged once, not every second.
  if (checked_ || !found.empty()) {
    for (const Problem& problem : found) {
      const bool known = std::any_of(problems_.begin(), problems_.end(),
                                     [&](const Problem& p) { return p.check == problem.check; });
      if (!known) spdlog::warn("not ready: {}: {}", problem.check, problem.reason);
    }
    for (const Problem& old : problems_) {
      const bool still = std::any_of(found.begin(), found.end(),
                                     [&](const Problem& p) { return p.check == old.check; });
      if (!still) spdlog::info("ready again: {}", old.check);
    }
  }
  problems_ = std::move(found);
  checked_ = true;
}

}  // namespace aicc::app
