#include "bench/loadgen/options.hpp"

#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>

namespace aicc::loadgen {
namespace {

namespace asio = boost::asio;

constexpr const char* kUsage = R"(usage: aicc-loadgen [options]
  --target aicc|rabbitmq|activemq  server under test (default aicc)
  --transport ws|sockjs|tcp        ws: STOMP over WebSocket (subprotocol v12.stomp); sockjs: the SockJS
                                   websocket transport under a SockJS base URL; tcp: STOMP over TCP
  --url URL                        loopback only; default ws://127.0.0.1:8080/ws (ws),
                                   ws://127.0.0.1:8080/ws-chat (sockjs), tcp://127.0.0.1:61613 (tcp)
  --spread URL,URL,...             connection i goes to the (i mod N)-th of these URLs instead of --url
                                   (the nodes of a cluster, same transport); the fanout publisher stays
                                   on --url, and fanout reports the latency of the subscribers on the
                                   publisher's node and on the others apart
  --jwt-secret S                   aicc (required): the server's jwt.secret; every client signs its own
  --jwt-issuer I                   HS256 token with this iss (default aicc-chat)
  --login L --passcode P           peers: CONNECT credentials
  --vhost H                        CONNECT host header (default "/" for rabbitmq, "localhost" otherwise)
  --scenario idle|fanout|rooms|storm|durable (default idle)
      idle    N connections (customers loadgen-<i>) with heart-beats, held --hold seconds; with
              --server-pid the server's RSS growth per connection and CPU
      fanout  N subscribers on /topic/chat and one publisher (aicc: SEND /app/chat.send, peers: SEND
              /topic/chat) sending --messages at --rate; delivered/s and latency percentiles
      rooms   aicc only. N/2 customers ask for a human (/app/consult.request), N/2 agents (role AGENT,
              /app/agent.login) accept the offer of their customer: N/2 rooms. Then both sides send
              /app/room.send at --rate per room side for --hold seconds (stored by the server); the
              other side measures the latency. Agents need no user account (a signed AGENT token is
              enough). Ids are unique per run (bench-customer-<run>-<i>, bench-agent-<run>-<i>), rooms
              are closed at the end, and a room the server hands over from an earlier run is closed.
              Bench server: --set routing.auto-assign-after=3600 (a room is made by the agent's accept,
              never handed to an agent of another process); routing.max-rooms-per-agent may stay 3.
              Each request is offered to every agent (N^2/4 offers); with thousands of agents and one
              process, routing.mode=auto skips the offers (the server assigns, agents just take it).
      durable N/2 producers send persistent messages with a receipt each, at most --window of them
              waiting for their RECEIPT, at --rate per producer (0: as fast as the receipts come) for
              --hold seconds; N/2 consumers receive them. Receipts/s, the latency from SEND to RECEIPT
              and delivered/s. aicc: the producers are the customers of N/2 rooms (made as in rooms)
              sending /app/room.send, stored before the RECEIPT; the agents consume. Peers: SEND with
              persistent:true to /queue/aicc-bench-<run>-<k>, one consumer on each (RabbitMQ: a
              durable queue, receipts after publisher confirms; ActiveMQ: needs persistence on,
              bench/peers/activemq.sh with ACTIVEMQ_PERSISTENT=1).
      storm   N connections as fast as --ramp allows (default: no pacing): connections/s including
              TCP, handshake and CONNECT/CONNECTED. With --restart-command, that command runs once all
              are up (it restarts the server with the same jwt.secret); every client reconnects with
              jittered exponential backoff (100 ms doubling to 2 s); reconnectSeconds runs from the
              command's return to the last CONNECTED.
  --connections N                  (default 100)
  --ramp PER_S                     new connections per second, all processes together (default 2000;
                                   storm: no pacing; 0: no pacing)
  --hold S                         idle, rooms, durable (default 5)
  --messages N                     fanout (default 1000)
  --rate PER_S                     fanout: publisher messages/s, 0 = as fast as the socket takes them
                                   (default 0); rooms: messages/s per room side (default 1);
                                   durable: messages/s per producer (default 0: window-bound)
  --window N                       durable: SENDs out without their RECEIPT per producer (default 1)
  --source-addresses N             spread connections over 127.0.0.1 .. 127.0.0.N (N <= 255)
  --processes P                    fork P workers sharing N and the source addresses; one merged report
  --heartbeat-ms MS                STOMP heart-beat offered both ways (default 10000; 0: none)
  --server-pid PID                 read the server's RSS and CPU from /proc
  --restart-command CMD            storm only, see above
  --timeout S                      bound on the whole run (default 120)
  --json FILE                      write the figures as one flat JSON object
  --label TEXT                     copied into the report
Exit status: 0 when every connection and message made it, 1 on failures, 2 on usage errors.
)";

template <typename Enum>
Enum pick(const std::string& option, const std::string& value,
          const std::map<std::string, Enum>& names) {
  auto it = names.find(value);
  if (it == names.end()) {
    std::string known;
    for (const auto& [name, unused] : names) known += (known.empty() ? "" : "|") + name;
    usage_error(option == "--scenario" ? "unknown scenario " + value
                                       : option + " must be one of " + known);
  }
  return it->second;
}

// SCHEME://HOST:PORT[/PATH] with a loopback HOST ("localhost" is 127.0.0.1).
Endpoint endpoint_of(const std::string& url, TransportKind transport) {
  const std::string scheme = transport == TransportKind::kTcp ? "tcp://" : "ws://";
  if (!url.starts_with(scheme)) {
    usage_error("--url must start with " + scheme + " for --transport " + name_of(transport));
  }
  const std::string rest = url.substr(scheme.size());
  const std::size_t slash = rest.find('/');
  const std::string authority = rest.substr(0, slash);
  const std::size_t colon = authority.rfind(':');
  if (colon == std::string::npos || colon + 1 == authority.size())
    usage_error("--url needs a port");
  std::string host = authority.substr(0, colon);
  if (host == "localhost") host = "127.0.0.1";
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  boost::system::error_code error;
  const auto address = asio::ip::make_address(host, error);
  if (error || !address.is_loopback())
    usage_error("--url must name a loopback address (127.0.0.0/8 or ::1)");
  int port = 0;
  try {
    port = std::stoi(authority.substr(colon + 1));
  } catch (const std::exception&) {
  }
  if (port <= 0 || port > 65535) usage_error("--url has a bad port");
  Endpoint endpoint;
  endpoint.address = {address, static_cast<unsigned short>(port)};
  endpoint.host = authority;
  endpoint.path = slash == std::string::npos ? "/" : rest.substr(slash);
  return endpoint;
}

}  // namespace

void usage_error(const std::string& why) {
  std::fprintf(stderr, "aicc-loadgen: %s\n%s", why.c_str(), kUsage);
  std::exit(2);
}

const char* name_of(TargetKind target) {
  switch (target) {
    case TargetKind::kAicc:
      return "aicc";
    case TargetKind::kRabbitMq:
      return "rabbitmq";
    case TargetKind::kActiveMq:
      return "activemq";
  }
  return "?";
}

const char* name_of(TransportKind transport) {
  switch (transport) {
    case TransportKind::kWs:
      return "ws";
    case TransportKind::kSockJs:
      return "sockjs";
    case TransportKind::kTcp:
      return "tcp";
  }
  return "?";
}

const char* name_of(Scenario scenario) {
  switch (scenario) {
    case Scenario::kIdle:
      return "idle";
    case Scenario::kFanout:
      return "fanout";
    case Scenario::kRooms:
      return "rooms";
    case Scenario::kStorm:
      return "storm";
    case Scenario::kDurable:
      return "durable";
  }
  return "?";
}

Options parse_options(int argc, char** argv) {
  Options o;
  std::string spread;  // --spread as given: URLs separated by commas
  std::map<std::string, std::string*> text{
      {"--url", &o.url},     {"--jwt-secret", &o.secret}, {"--jwt-issuer", &o.issuer},
      {"--json", &o.json},   {"--label", &o.label},       {"--restart-command", &o.restart_command},
      {"--login", &o.login}, {"--passcode", &o.passcode}, {"--vhost", &o.vhost},
      {"--spread", &spread}};
  std::set<std::string> given;
  for (int i = 1; i < argc; ++i) {
    const std::string name = argv[i];
    if (name == "--help" || name == "-h") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    }
    if (i + 1 >= argc) usage_error(name + " needs a value");
    const std::string value = argv[++i];
    given.insert(name);
    try {
      if (auto it = text.find(name); it != text.end())
        *it->second = value;
      else if (name == "--target")
        o.target = pick<TargetKind>(name, value,
                                    {{"aicc", TargetKind::kAicc},
                                     {"rabbitmq", TargetKind::kRabbitMq},
                                     {"activemq", TargetKind::kActiveMq}});
      else if (name == "--transport")
        o.transport = pick<TransportKind>(name, value,
                                          {{"ws", TransportKind::kWs},
                                           {"sockjs", TransportKind::kSockJs},
                                           {"tcp", TransportKind::kTcp}});
      else if (name == "--scenario")
        o.scenario = pick<Scenario>(name, value,
                                    {{"idle", Scenario::kIdle},
                                     {"fanout", Scenario::kFanout},
                                     {"rooms", Scenario::kRooms},
                                     {"storm", Scenario::kStorm},
                                     {"durable", Scenario::kDurable}});
      else if (name == "--connections")
        o.connections = std::stoull(value);
      else if (name == "--ramp")
        o.ramp = std::stod(value);
      else if (name == "--hold")
        o.hold_s = std::stod(value);
      else if (name == "--messages")
        o.messages = std::stoull(value);
      else if (name == "--rate")
        o.rate = std::stod(value);
      else if (name == "--source-addresses")
        o.source_addresses = std::stoi(value);
      else if (name == "--processes")
        o.processes = std::stoi(value);
      else if (name == "--server-pid")
        o.server_pid = std::stoi(value);
      else if (name == "--timeout")
        o.timeout_s = std::stod(value);
      else if (name == "--heartbeat-ms")
        o.heartbeat_ms = std::stoi(value);
      else if (name == "--window")
        o.window = std::stoull(value);
      else
        usage_error("unknown option " + name);
    } catch (const std::logic_error&) {  // std::stoi and friends
      usage_error("bad value for " + name + ": " + value);
    }
  }
  // Defaults that depend on the scenario or the target.
  if (!given.contains("--ramp") && o.scenario == Scenario::kStorm) o.ramp = 0;
  if (!given.contains("--rate") && o.scenario == Scenario::kRooms) o.rate = 1;
  if (!given.contains("--vhost")) o.vhost = o.target == TargetKind::kRabbitMq ? "/" : "localhost";
  if (o.url.empty()) {
    o.url = o.transport == TransportKind::kTcp      ? "tcp://127.0.0.1:61613"
            : o.transport == TransportKind::kSockJs ? "ws://127.0.0.1:8080/ws-chat"
                                                    : "ws://127.0.0.1:8080/ws";
  }

  if (o.target == TargetKind::kAicc && o.secret.empty())
    usage_error("--jwt-secret is required (the server's jwt.secret)");
  if (o.scenario == Scenario::kRooms && o.target != TargetKind::kAicc) {
    usage_error(std::string("the rooms scenario needs the aicc contact center; ") +
                name_of(o.target) + " has no consult requests, agents or rooms");
  }
  if (o.in_pairs() && (o.connections < 2 || o.connections % 2 != 0)) {
    usage_error(std::string(name_of(o.scenario)) +
                " needs an even --connections (half senders, half receivers)");
  }
  if (o.scenario == Scenario::kDurable && o.window < 1) usage_error("--window must be 1 or more");
  if (o.scenario == Scenario::kRooms && o.rate <= 0)
    usage_error("rooms needs --rate above 0 (messages/s per room side)");
  if (!o.restart_command.empty() && o.scenario != Scenario::kStorm)
    usage_error("--restart-command is for the storm scenario");
  if (o.source_addresses < 1 || o.source_addresses > 255)
    usage_error("--source-addresses must be 1 to 255");
  if (o.processes < 1 || o.processes > 64) usage_error("--processes must be 1 to 64");
  if (o.connections < 1 || o.ramp < 0 || o.timeout_s <= 0 || o.hold_s < 0 || o.rate < 0 ||
      o.heartbeat_ms < 0) {
    usage_error(
        "--connections and --timeout must be positive; --ramp, --hold, --rate and --heartbeat-ms "
        "not negative");
  }
  if (static_cast<std::uint64_t>(o.processes) > o.connections)
    usage_error("more --processes than --connections");
  if (o.in_pairs() && static_cast<std::uint64_t>(o.processes) > o.connections / 2) {
    usage_error(std::string(name_of(o.scenario)) + " needs at least one pair per process");
  }
  o.endpoint = endpoint_of(o.url, o.transport);
  for (std::size_t from = 0; !spread.empty() && from <= spread.size();) {
    const std::size_t comma = std::min(spread.find(',', from), spread.size());
    if (comma > from)
      o.spread.push_back(endpoint_of(spread.substr(from, comma - from), o.transport));
    from = comma + 1;
  }
  if (given.contains("--spread") && o.spread.empty()) usage_error("--spread needs URLs");
  if (o.source_addresses > 1) {
    bool v4 = o.endpoint.address.address().is_v4();
    for (const Endpoint& endpoint : o.spread) v4 = v4 && endpoint.address.address().is_v4();
    if (!v4) usage_error("--source-addresses needs IPv4 URLs (127.x.x.x)");
  }
  return o;
}

}  // namespace aicc::loadgen
