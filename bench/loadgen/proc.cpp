#include "bench/loadgen/proc.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

namespace aicc::loadgen {

ProcSample sample_process(int pid) {
  ProcSample out;
  if (pid <= 0) return out;
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.starts_with("VmRSS:")) out.rss_kib = std::stoull(line.substr(6));
  }
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  const std::string content((std::istreambuf_iterator<char>(stat)),
                            std::istreambuf_iterator<char>());
  // The fields after the ")" that ends the command name (which may hold spaces): utime is the
  // 12th, stime the 13th.
  const std::size_t close = content.rfind(')');
  if (close != std::string::npos && close + 2 < content.size()) {
    std::istringstream fields(content.substr(close + 2));
    std::string field;
    double ticks = 0;
    for (int i = 1; i <= 13 && fields >> field; ++i) {
      if (i == 12 || i == 13) ticks += std::stod(field);
    }
    out.cpu_s = ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
  }
  return out;
}

DescriptorLimit raise_descriptor_limit() {
  rlimit limit{};
  getrlimit(RLIMIT_NOFILE, &limit);
  if (limit.rlim_cur < limit.rlim_max) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  return {static_cast<std::uint64_t>(limit.rlim_cur), static_cast<std::uint64_t>(limit.rlim_max)};
}

}  // namespace aicc::loadgen
