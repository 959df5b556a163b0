// storm: N connections as fast as --ramp allows (phase 0: all up; the parent times it). With
// --restart-command the parent runs it between phase 0 and 1; every client sees its connection
// drop and reconnects with jittered exponential backoff until it is back (phase 1).
#include <random>

#include "bench/loadgen/worker.hpp"

namespace aicc::loadgen {
namespace {

namespace asio = boost::asio;

constexpr auto kFirstBackoff = std::chrono::milliseconds(100);
constexpr auto kMaxBackoff = std::chrono::milliseconds(2000);

// Half to all of `delay`, so that thousands of clients do not come back in lockstep.
Clock::duration jittered(Clock::duration delay) {
  thread_local std::mt19937 random{std::random_device{}()};
  std::uniform_real_distribution<double> share(0.5, 1.0);
  return std::chrono::duration_cast<Clock::duration>(delay * share(random));
}

asio::awaitable<void> storm_client(Worker& w, std::uint64_t i) {
  const Identity identity = loadgen_customer(i);
  auto client = w.new_client();
  const bool up = co_await w.connect(*client, i, identity);
  ++w.settled;
  if (!up) co_return;
  w.tally.add("connected");
  w.tally.latest("lastConnectedNs", static_cast<double>(now_ns()));
  bool counted = false;
  for (;;) {
    std::optional<stomp::Frame> error = co_await read_to_end(*client);
    client->close();
    if (w.stopping) co_return;
    if (!w.drops_expected) {
      w.lost(*client, error ? &*error : nullptr);
      co_return;
    }
    Clock::duration delay = kFirstBackoff;
    bool back = false;
    std::string why;
    while (!back && !w.expired() && !w.stopping) {
      co_await w.sleep_for(jittered(delay));
      client = w.new_client();
      std::string connect = w.connect_frame_for(identity);
      back = co_await client->connect(w.endpoint_for(i), w.source_for(i), std::move(connect),
                                      w.options.heartbeat_ms);
      why = client->error();
      delay = std::min<Clock::duration>(delay * 2, kMaxBackoff);
    }
    if (!back) {
      if (!w.stopping) w.tally.fail("no reconnection before the timeout: " + why);
      co_return;
    }
    w.tally.add("reconnections");
    if (!counted) w.tally.add("reconnected");
    counted = true;
    w.tally.latest("lastReconnectedNs", static_cast<double>(now_ns()));
  }
}

}  // namespace

asio::awaitable<void> run_storm(Worker& w) {
  co_await w.launch(storm_client, w.first, w.count);
  std::function<bool()> all_settled = [&w] { return w.settled >= w.count; };
  co_await w.until(std::move(all_settled));
  const bool restart = !w.options.restart_command.empty();
  // From here on the parent may run the restart command: a drop means "reconnect", not "failed".
  w.drops_expected = restart;
  const double failed_before = w.tally.sum("failed");
  co_await w.arrive();
  if (restart) {
    std::function<bool()> all_back = [&w, failed_before] {
      return w.tally.sum("reconnected") + (w.tally.sum("failed") - failed_before) >=
             w.tally.sum("connected");
    };
    co_await w.until(std::move(all_back));
  }
  co_await w.arrive();
}

}  // namespace aicc::loadgen
