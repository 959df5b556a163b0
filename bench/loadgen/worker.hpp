// One worker process of a run: its share of the clients, its tally, the phase barrier it shares
// with the parent and the other workers, and the helpers every scenario uses (pacing, waiting with
// the run's deadline, source addresses, CONNECT frames).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "bench/loadgen/options.hpp"
#include "bench/loadgen/stomp_client.hpp"
#include "bench/loadgen/tally.hpp"

namespace aicc::loadgen {

using Clock = std::chrono::steady_clock;

// The worker's end of the barrier: arrive() tells the parent this worker is through the current
// phase and resumes once every worker is (and the parent has sampled the server, run the restart
// command…). False when the parent is gone.
class Phases {
 public:
  Phases(const boost::asio::any_io_executor& executor, int up_fd, int down_fd);
  boost::asio::awaitable<bool> arrive();

 private:
  int up_;
  boost::asio::posix::stream_descriptor down_;
};

// Who a client is: the token's subject and role for aicc (peers use --login/--passcode).
struct Identity {
  std::string sub;
  std::string role = "CUSTOMER";
  std::string name;
};

// Connection i of the idle, fanout and storm scenarios: customer loadgen-<i>.
inline Identity loadgen_customer(std::uint64_t i) {
  return Identity{"loadgen-" + std::to_string(i), "CUSTOMER", {}};
}

struct Worker {
  Worker(const Options& options, int index, std::uint64_t first, std::uint64_t count,
         boost::asio::io_context& io, Phases& phases, Clock::time_point deadline)
      : options(options),
        index(index),
        first(first),
        count(count),
        io(io),
        phases(phases),
        deadline(deadline) {}

  const Options& options;
  int index;  // 0 .. processes-1
  std::uint64_t
      first;  // its share: connections (rooms for the rooms scenario) first .. first+count
  std::uint64_t count;
  boost::asio::io_context& io;
  Phases& phases;
  Clock::time_point deadline;
  Tally tally;
  ClientSet clients;
  bool stopping = false;        // the run is over: a closed connection is no failure
  std::uint64_t settled = 0;    // clients through their start-up, up or failed
  bool drops_expected = false;  // storm: the restart command is about to cut every connection

  bool expired() const { return Clock::now() >= deadline; }
  // Records that the deadline cut the run short (the run then counts as failed).
  void timed_out();
  // Next phase, together with the others; a gone parent ends the run.
  boost::asio::awaitable<void> arrive();
  // Polls `done` until it holds (true) or the deadline passes (false).
  boost::asio::awaitable<bool> until(std::function<bool()> done);
  // Polls `done` until it holds, or `progress` stood still for `quiet`, or the deadline passed.
  boost::asio::awaitable<void> until_quiet(std::function<bool()> done,
                                           std::function<double()> progress, Clock::duration quiet);
  // Sleeps, but not past the deadline.
  boost::asio::awaitable<void> sleep_for(Clock::duration duration);
  // Waits until the k-th launch of this worker is due under its share of --ramp (started at
  // `start`).
  boost::asio::awaitable<void> pace(std::uint64_t k, Clock::time_point start);

  // 127.0.0.(1 + i mod N) when spreading over N source addresses.
  std::optional<boost::asio::ip::address> source_for(std::uint64_t i) const;
  // Where connection i goes: --url, or with --spread the (i mod N)-th of those URLs.
  const Endpoint& endpoint_for(std::uint64_t i) const;
  // Whether connection i goes to the server of --url (with --spread, the publisher's node).
  bool on_main_endpoint(std::uint64_t i) const;
  // CONNECT for this identity: a signed token (aicc) or --login/--passcode (peers).
  std::string connect_frame_for(const Identity& identity) const;
  // A new client on this worker's io_context.
  std::shared_ptr<StompClient> new_client();
  // Opens and CONNECTs `client` as connection number `i` (to endpoint_for(i), or to `at` when
  // given); counts a failure when it does not work.
  boost::asio::awaitable<bool> connect(StompClient& client, std::uint64_t i,
                                       const Identity& identity, const Endpoint* at = nullptr);
  // Starts client(*this, i) for i in [first, first + count) at this worker's share of --ramp;
  // resumes once all are started (not connected). Records firstLaunchNs.
  using ClientFn = boost::asio::awaitable<void> (*)(Worker&, std::uint64_t);
  boost::asio::awaitable<void> launch(ClientFn client, std::uint64_t first, std::uint64_t count);
  // A connection that ended: a failure unless the run is over. `error` is an ERROR frame, if any.
  void lost(const StompClient& client, const stomp::Frame* error);
};

// Reads (and drops) frames until the connection ends; the ERROR frame that ended it, if any.
boost::asio::awaitable<std::optional<stomp::Frame>> read_to_end(StompClient& client);

// The number in a JSON string field written by a sender, e.g. "content":"<ns>" in a body.
std::optional<std::int64_t> number_in(std::string_view body, std::string_view key);

// The scenarios: each runs in every worker, through the same phases in every worker.
boost::asio::awaitable<void> run_idle(Worker& worker);
boost::asio::awaitable<void> run_fanout(Worker& worker);
boost::asio::awaitable<void> run_rooms(Worker& worker);
boost::asio::awaitable<void> run_storm(Worker& worker);
boost::asio::awaitable<void> run_durable(Worker& worker);

}  // namespace aicc::loadgen
