// idle: N authenticated connections with heart-beats, held --hold seconds. Phase 0: all up (the
// parent times the ramp); phase 1: held (the parent reads the server's RSS and CPU, connections
// still open).
#include "bench/loadgen/worker.hpp"

namespace aicc::loadgen {
namespace {

namespace asio = boost::asio;

asio::awaitable<void> idle_client(Worker& w, std::uint64_t i) {
  auto client = w.new_client();
  const Identity identity = loadgen_customer(i);
  const bool up = co_await w.connect(*client, i, identity);
  ++w.settled;
  if (!up) co_return;
  w.tally.add("connected");
  w.tally.latest("lastConnectedNs", static_cast<double>(now_ns()));
  const std::optional<stomp::Frame> error = co_await read_to_end(*client);
  w.lost(*client, error ? &*error : nullptr);
  client->close();
}

}  // namespace

asio::awaitable<void> run_idle(Worker& w) {
  co_await w.launch(idle_client, w.first, w.count);
  std::function<bool()> all_settled = [&w] { return w.settled >= w.count; };
  co_await w.until(std::move(all_settled));
  co_await w.arrive();
  co_await w.sleep_for(
      std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(w.options.hold_s)));
  co_await w.arrive();
}

}  // namespace aicc::loadgen
