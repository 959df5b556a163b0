// aicc-loadgen: opens many STOMP connections to a server on loopback (aicc-chat, or RabbitMQ and
// ActiveMQ for comparison) over WebSocket, SockJS or TCP, and measures what it holds and delivers.
// Scenarios idle, fanout, rooms and storm (see --help). Prints a table and, with --json, writes
// the figures as one flat object. Every run is bounded in connections (the descriptor limit) and
// in time (--timeout), and only loopback addresses are used.
//
//   aicc-loadgen --url ws://127.0.0.1:8080/ws --jwt-secret S --scenario idle --connections 5000
//   aicc-loadgen --jwt-secret S --scenario rooms --connections 200 --rate 1 --hold 30
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>

#include "bench/loadgen/options.hpp"
#include "bench/loadgen/proc.hpp"
#include "bench/loadgen/report.hpp"
#include "bench/loadgen/workers.hpp"

namespace {

using namespace aicc::loadgen;

constexpr std::uint64_t kSpareDescriptors = 64;  // pipes, stdio, the publisher, result files

// Connections the busiest worker holds at once.
std::uint64_t per_process(const Options& o) {
  if (o.in_pairs()) return 2 * share_count(o.connections / 2, o.processes, o.processes - 1) + 2;
  return share_count(o.connections, o.processes, o.processes - 1) + 1 +
         (o.scenario == Scenario::kFanout ? 1 : 0);
}

// Short and unique enough to keep one run's user ids apart from every other run's.
std::string new_run_id() {
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  std::string id;
  for (auto value =
           static_cast<unsigned long long>(now) * 1000 + static_cast<unsigned>(::getpid()) % 1000;
       value > 0; value /= 36) {
    id.insert(id.begin(), "0123456789abcdefghijklmnopqrstuvwxyz"[value % 36]);
  }
  return id;
}

}  // namespace

int main(int argc, char** argv) {
  Options options = parse_options(argc, argv);
  ::signal(SIGPIPE,
           SIG_IGN);  // a closed socket or pipe is an error code, not the end of the process

  const DescriptorLimit limit = raise_descriptor_limit();
  const std::uint64_t room = limit.soft > kSpareDescriptors ? limit.soft - kSpareDescriptors : 0;
  const std::uint64_t needed = per_process(options) + kSpareDescriptors;
  std::printf(
      "descriptors: soft limit %llu (hard %llu) allows about %llu connections per process; "
      "this run needs %llu descriptors in each of %d process%s\n",
      static_cast<unsigned long long>(limit.soft), static_cast<unsigned long long>(limit.hard),
      static_cast<unsigned long long>(room), static_cast<unsigned long long>(needed),
      options.processes, options.processes == 1 ? "" : "es");
  if (needed > limit.soft) {
    std::fprintf(
        stderr,
        "aicc-loadgen: %llu connections over %d process%s need about %llu descriptors per process, "
        "over "
        "the descriptor limit (%llu): use more --processes, or raise the hard limit (ulimit -Hn)\n",
        static_cast<unsigned long long>(options.connections), options.processes,
        options.processes == 1 ? "" : "es", static_cast<unsigned long long>(needed),
        static_cast<unsigned long long>(limit.soft));
    return 2;
  }
  options.run_id = new_run_id();

  const RunOutcome outcome = run_workers(options);
  const Report report = report_of(options, outcome);
  print_report(options, report, outcome.tally.first_error);
  if (!options.json.empty() && !write_json(options, report)) {
    std::fprintf(stderr, "aicc-loadgen: cannot write %s\n", options.json.c_str());
    return 1;
  }
  return report.problems.empty() ? 0 : 1;
}
