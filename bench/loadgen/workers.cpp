#include "bench/loadgen/workers.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>

#include "bench/loadgen/stomp_client.hpp"
#include "bench/loadgen/worker.hpp"

namespace aicc::loadgen {
namespace {

namespace asio = boost::asio;

// A worker that outlives the run's timeout by this much is killed.
constexpr auto kKillGrace = std::chrono::seconds(20);

struct Child {
  pid_t pid = -1;
  int up = -1;    // the parent reads a byte per phase the worker finished
  int down = -1;  // the parent writes a byte to let it go on
  int arrived = 0;
  bool open = true;
  std::string result;
};

std::uint64_t units_of(const Options& o) {
  return o.in_pairs() ? o.connections / 2 : o.connections;
}

asio::awaitable<void> (*scenario_of(Scenario scenario))(Worker&) {
  switch (scenario) {
    case Scenario::kIdle:
      return run_idle;
    case Scenario::kFanout:
      return run_fanout;
    case Scenario::kRooms:
      return run_rooms;
    case Scenario::kStorm:
      return run_storm;
    case Scenario::kDurable:
      return run_durable;
  }
  return run_idle;
}

// The worker process: runs the scenario on its own io_context, writes its tally, and exits.
[[noreturn]] void worker_main(const Options& options, int index, int up, int down,
                              const std::string& result, Clock::time_point deadline) {
  int code = 0;
  {
    asio::io_context io(1);
    Phases phases(io.get_executor(), up, down);
    const std::uint64_t units = units_of(options);
    Worker w(options, index, share_first(units, options.processes, index),
             share_count(units, options.processes, index), io, phases, deadline);
    bool done = false;
    auto finished = [&done, &w](std::exception_ptr error) {
      done = true;
      if (!error) return;
      try {
        std::rethrow_exception(error);
      } catch (const std::exception& e) {
        w.tally.note(std::string("worker failed: ") + e.what());
      }
    };
    asio::co_spawn(io, scenario_of(options.scenario)(w), std::move(finished));
    while (!done && io.run_one() > 0) {
    }
    // Over: every connection closes, and the clients' coroutines get a moment to end.
    w.stopping = true;
    w.clients.close_all();
    io.run_for(std::chrono::milliseconds(500));
    if (!w.tally.write(result)) code = 3;
  }
  std::fflush(nullptr);
  _exit(code);
}

std::int64_t steady_ns() { return now_ns(); }

// Runs `command` with /bin/sh, as std::system does, but not past `deadline`: then its process
// group (its own, made here) is killed. The wait status, or nullopt when it was killed.
std::optional<int> run_command(const std::string& command, Clock::time_point deadline) {
  const pid_t pid = ::fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    ::setpgid(0, 0);
    ::execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  ::setpgid(pid, pid);  // also here: whichever runs first, the group exists before a kill
  int status = 0;
  while (::waitpid(pid, &status, WNOHANG) == 0) {
    if (Clock::now() >= deadline) {
      ::kill(-pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      return std::nullopt;
    }
    ::usleep(10000);
  }
  return status;
}

}  // namespace

std::uint64_t share_first(std::uint64_t total, int workers, int index) {
  return total * static_cast<std::uint64_t>(index) / static_cast<std::uint64_t>(workers);
}

std::uint64_t share_count(std::uint64_t total, int workers, int index) {
  return share_first(total, workers, index + 1) - share_first(total, workers, index);
}

RunOutcome run_workers(const Options& options) {
  RunOutcome outcome;
  char dir_template[] = "/tmp/aicc-loadgen-XXXXXX";
  const char* dir = ::mkdtemp(dir_template);
  if (dir == nullptr) {
    std::perror("aicc-loadgen: mkdtemp");
    std::exit(2);
  }
  outcome.server_before = sample_process(options.server_pid);
  outcome.started_ns = steady_ns();
  const auto started = Clock::now();
  const auto deadline = started + std::chrono::duration_cast<Clock::duration>(
                                      std::chrono::duration<double>(options.timeout_s));
  const auto kill_at = deadline + kKillGrace;

  std::vector<Child> children(static_cast<std::size_t>(options.processes));
  const pid_t parent = ::getpid();
  std::fflush(nullptr);  // a forked child must not print the parent's buffered output again
  for (int i = 0; i < options.processes; ++i) {
    int up[2], down[2];
    if (::pipe(up) != 0 || ::pipe(down) != 0) {
      std::perror("aicc-loadgen: pipe");
      std::exit(2);
    }
    Child& child = children[static_cast<std::size_t>(i)];
    child.result = std::string(dir) + "/worker-" + std::to_string(i);
    const pid_t pid = ::fork();
    if (pid < 0) {
      std::perror("aicc-loadgen: fork");
      std::exit(2);
    }
    if (pid == 0) {
      // A worker dies with the parent (nobody would read its figures) and keeps only its own two
      // pipe ends open.
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) _exit(1);
      for (int j = 0; j < i; ++j) {
        ::close(children[static_cast<std::size_t>(j)].up);
        ::close(children[static_cast<std::size_t>(j)].down);
      }
      ::close(up[0]);
      ::close(down[1]);
      worker_main(options, i, up[1], down[0], child.result, deadline);
    }
    ::close(up[1]);
    ::close(down[0]);
    child.pid = pid;
    child.up = up[0];
    child.down = down[1];
  }

  // Phase boundaries: once every live worker has arrived, sample, act, release them all.
  for (int phase = 0;;) {
    std::vector<pollfd> waiting;
    std::vector<Child*> of;
    bool any_open = false;
    for (Child& child : children) {
      if (!child.open) continue;
      any_open = true;
      if (child.arrived <= phase) {
        waiting.push_back({child.up, POLLIN, 0});
        of.push_back(&child);
      }
    }
    if (!any_open) break;
    if (waiting.empty()) {
      PhaseEnd end{steady_ns(), sample_process(options.server_pid)};
      if (options.scenario == Scenario::kStorm && phase == 0 && !options.restart_command.empty()) {
        std::printf("running the restart command: %s\n", options.restart_command.c_str());
        std::fflush(stdout);
        const std::optional<int> status = run_command(options.restart_command, deadline);
        outcome.restart_returned_ns = steady_ns();
        if (status != 0) {
          outcome.trouble = true;
          outcome.tally.note(!status ? std::string("the restart command was killed at the timeout")
                             : WIFEXITED(*status)
                                 ? "the restart command exited with code " +
                                       std::to_string(WEXITSTATUS(*status))
                                 : std::string("the restart command died of a signal"));
        }
      }
      outcome.phases.push_back(end);
      const char go = 1;
      for (Child& child : children) {
        if (child.open && ::write(child.down, &go, 1) != 1) child.open = false;
      }
      ++phase;
      continue;
    }
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(kill_at - Clock::now()).count();
    const int ready = left > 0 ? ::poll(waiting.data(), waiting.size(),
                                        static_cast<int>(std::min<long long>(left, 1000)))
                               : 0;
    if (ready == 0 && Clock::now() >= kill_at) {
      for (Child& child : children) {
        if (child.open) ::kill(child.pid, SIGKILL);  // our own worker, stuck past the timeout
        child.open = false;
      }
      outcome.trouble = true;
      outcome.tally.note("workers still running " + std::to_string(kKillGrace.count()) +
                         " s after the timeout were killed");
      break;
    }
    for (std::size_t k = 0; k < waiting.size(); ++k) {
      if (waiting[k].revents == 0) continue;
      char byte = 0;
      if (::read(waiting[k].fd, &byte, 1) == 1) {
        ++of[k]->arrived;
      } else {
        of[k]->open = false;  // the worker is done (or died): it waits for nothing more
      }
    }
  }

  for (std::size_t i = 0; i < children.size(); ++i) {
    Child& child = children[i];
    int status = 0;
    ::waitpid(child.pid, &status, 0);
    ::close(child.up);
    ::close(child.down);
    Tally tally;
    if (!tally.read(child.result)) {
      outcome.trouble = true;
      const std::uint64_t lost =
          share_count(units_of(options), options.processes, static_cast<int>(i)) *
          (options.in_pairs() ? 2 : 1);
      tally.add("failed", static_cast<double>(lost));
      tally.note("worker " + std::to_string(i) + " left no figures (exit status " +
                 std::to_string(status) + ")");
    }
    outcome.tally.merge(tally);
  }
  std::filesystem::remove_all(dir);
  return outcome;
}

}  // namespace aicc::loadgen
