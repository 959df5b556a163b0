// What the load generator reads from the system: the server's memory and CPU (/proc) and its own
// open-descriptor limit.
#pragma once

#include <cstdint>

namespace aicc::loadgen {

struct ProcSample {
  std::uint64_t rss_kib = 0;
  double cpu_s = 0;  // user + system
};

// Nothing (zeros) for pid <= 0 or a process that is gone.
ProcSample sample_process(int pid);

struct DescriptorLimit {
  std::uint64_t soft = 0;
  std::uint64_t hard = 0;
};

// Raises the soft RLIMIT_NOFILE to the hard one (no privileges needed; the hard one cannot be
// raised without them) and returns both. Forked workers inherit it.
DescriptorLimit raise_descriptor_limit();

}  // namespace aicc::loadgen
