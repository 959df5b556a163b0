// One STOMP-over-WebSocket client of the load generator: connects (optionally from a chosen
// loopback source address), CONNECTs with its own bearer token, may SUBSCRIBE, then reads frames
// until told to stop, answering heart-beats. Everything runs on the caller's io_context; the
// shared counters live in `Shared` (one thread, so plain integers).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace aicc::loadgen {

struct Target {
  boost::asio::ip::tcp::endpoint endpoint;  // the server
  std::string host;                         // Host header
  std::string path = "/ws";                 // WebSocket path
  std::optional<boost::asio::ip::address> source;  // local address to bind, when spreading
};

struct Shared {
  std::uint64_t connected = 0;       // CONNECTED received
  std::uint64_t subscribed = 0;      // RECEIPT of the SUBSCRIBE received
  std::uint64_t failed = 0;          // connections that failed or were closed early
  std::uint64_t messages = 0;        // MESSAGE frames received
  std::vector<std::int64_t> latencies_ns;  // send-to-receive, from timestamps in the bodies
  std::string first_error;           // the first failure, to print
  bool stop = false;                 // set to end every client
};

struct ClientOptions {
  std::string token;                 // JWT for the CONNECT frame
  std::string subscribe;             // destination, or empty
  int heartbeat_ms = 10000;          // offered both ways; 0: none
  bool record_latency = false;       // parse `"content":"<send ns>"` in MESSAGE bodies
};

// Nanoseconds of the steady clock, as the publisher writes them into messages.
inline std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Runs one client until shared.stop (or failure). `on_ready` is called once subscribed (or
// connected, without a subscription).
boost::asio::awaitable<void> run_client(Target target, ClientOptions options, Shared& shared,
                                        std::function<void()> on_ready);

// A publisher: SENDs `count` frames to /app/chat.send at `rate` per second (0: as fast as the
// socket takes them), each carrying the send time; resolves when all are written.
boost::asio::awaitable<void> run_publisher(Target target, std::string token, std::uint64_t count, double rate,
                                           Shared& shared);

}  // namespace aicc::loadgen
