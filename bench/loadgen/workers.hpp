// The parent's side of a run: forks --processes workers, each with its share of the connections,
// holds them together at every phase boundary (a byte up a pipe from each, a byte back down to
// all), samples the server there and runs the storm's restart command, then merges what the
// workers wrote.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bench/loadgen/options.hpp"
#include "bench/loadgen/proc.hpp"
#include "bench/loadgen/tally.hpp"

namespace aicc::loadgen {

struct PhaseEnd {
  std::int64_t at_ns = 0;  // steady clock, when the last worker arrived
  ProcSample server;       // sampled then, before the workers go on
};

struct RunOutcome {
  Tally tally;  // every worker's, merged
  std::int64_t started_ns = 0;
  ProcSample server_before;
  std::vector<PhaseEnd> phases;
  std::int64_t restart_returned_ns = 0;  // storm: when --restart-command returned
  bool trouble = false;  // a worker died or was killed, or the restart command failed
};

RunOutcome run_workers(const Options& options);

// The share of worker `index` of `total` units (connections, or rooms).
std::uint64_t share_first(std::uint64_t total, int workers, int index);
std::uint64_t share_count(std::uint64_t total, int workers, int index);

}  // namespace aicc::loadgen
