// The load generator's command line: what to run against what, and every bound of the run.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <string>
#include <vector>

namespace aicc::loadgen {

enum class TargetKind { kAicc, kRabbitMq, kActiveMq };
enum class TransportKind { kWs, kSockJs, kTcp };
enum class Scenario { kIdle, kFanout, kRooms, kStorm, kDurable };

// Where the clients connect: a loopback address, and for WebSocket the Host header and path (for
// SockJS the base path, e.g. /ws-chat).
struct Endpoint {
  boost::asio::ip::tcp::endpoint address;
  std::string host;
  std::string path = "/";
};

struct Options {
  TargetKind target = TargetKind::kAicc;
  TransportKind transport = TransportKind::kWs;
  Scenario scenario = Scenario::kIdle;
  std::string url;
  Endpoint endpoint;
  // --spread: connection i goes to spread[i mod N] instead of `endpoint` (the nodes of a cluster);
  // the fanout publisher stays on `endpoint`. Empty: every connection goes to `endpoint`.
  std::vector<Endpoint> spread;
  std::string login, passcode, vhost;  // peers' CONNECT headers
  std::string secret;  // aicc: the server's jwt.secret, each client signs its own token
  std::string issuer = "aicc-chat";
  std::uint64_t connections = 100;
  double ramp = 2000;             // new connections per second over all processes; 0: no pacing
  double hold_s = 5;              // idle: hold once up; rooms: how long both sides send
  std::uint64_t messages = 1000;  // fanout: messages to publish
  double rate = 0;                // fanout: publisher messages/s (0: as fast as it can write);
                                  // rooms: messages/s per room side
  int source_addresses = 1;       // spread over 127.0.0.1 .. 127.0.0.N
  int processes = 1;
  int server_pid = 0;      // for RSS and CPU from /proc; 0: not measured
  double timeout_s = 120;  // bound on the whole run
  std::string json;        // write the figures here
  std::string label;
  std::string restart_command;  // storm: run once all are connected, then reconnect
  int heartbeat_ms = 10000;
  std::uint64_t window = 1;  // durable: SENDs a producer has out without their RECEIPT
  std::string run_id;
  // Scenarios made of pairs (rooms, durable): connections are half senders, half receivers.
  bool in_pairs() const {
    return scenario == Scenario::kRooms || scenario == Scenario::kDurable;
  }  // not an option: made once per run, shared by the workers
};

// Parses the command line; prints the usage and exits with 2 on any mistake.
Options parse_options(int argc, char** argv);

// Prints `why` and the usage to stderr and exits with 2.
[[noreturn]] void usage_error(const std::string& why);

const char* name_of(TargetKind target);
const char* name_of(TransportKind transport);
const char* name_of(Scenario scenario);

}  // namespace aicc::loadgen
