// aicc-loadgen: opens many STOMP-over-WebSocket connections to a server on loopback and measures
// what it holds and delivers. Scenarios (this first version): `idle` (N authenticated connections
// with heart-beats; server memory per connection and CPU from /proc) and `fanout` (K subscribers
// on /topic/chat, a publisher sending through /app/chat.send; delivered messages/s and latency
// percentiles). Prints a table and, with --json, writes the figures. Every run is bounded in
// connections and time, and only loopback addresses are used.
//
//   aicc-loadgen --url ws://127.0.0.1:8080/ws --jwt-secret S --scenario idle --connections 5000
//   aicc-loadgen --url ws://127.0.0.1:8080/ws --jwt-secret S --scenario fanout --connections 100
//       (continued) --messages 10000 --rate 0
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "auth/jwt.hpp"
#include "bench/loadgen/client.hpp"

namespace {

namespace asio = boost::asio;
using aicc::loadgen::Shared;
using aicc::loadgen::Target;

struct Options {
  std::string url = "ws://127.0.0.1:8080/ws";
  std::string secret;            // the server's jwt.secret: each client gets its own token
  std::string issuer = "aicc-chat";
  std::string scenario = "idle";
  std::uint64_t connections = 100;
  double ramp = 2000;            // new connections per second
  double hold_s = 5;             // idle: how long to hold them once all are up
  std::uint64_t messages = 1000; // fanout: messages to publish
  double rate = 0;               // fanout: messages/s, 0 = as fast as possible
  int source_addresses = 1;      // spread over 127.0.0.1 .. 127.0.0.N (N <= 255)
  int server_pid = 0;            // for RSS and CPU from /proc; 0: not measured
  double timeout_s = 120;        // the whole run
  std::string json;              // write the figures here
};

[[noreturn]] void usage(const std::string& why) {
  std::fprintf(stderr,
               "aicc-loadgen: %s\n"
               "usage: aicc-loadgen --jwt-secret S [--url ws://127.0.0.1:8080/ws] [--scenario idle|fanout]\n"
               "  [--connections N] [--ramp PER_S] [--hold S] [--messages N] [--rate PER_S]\n"
               "  [--source-addresses N] [--server-pid PID] [--jwt-issuer I] [--timeout S] [--json FILE]\n",
               why.c_str());
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  std::map<std::string, std::string*> text{{"--url", &o.url}, {"--jwt-secret", &o.secret},
                                           {"--jwt-issuer", &o.issuer}, {"--scenario", &o.scenario},
                                           {"--json", &o.json}};
  for (int i = 1; i < argc; ++i) {
    const std::string name = argv[i];
    if (i + 1 >= argc) usage(name + " needs a value");
    const std::string value = argv[++i];
    try {
      if (auto it = text.find(name); it != text.end()) *it->second = value;
      else if (name == "--connections") o.connections = std::stoull(value);
      else if (name == "--ramp") o.ramp = std::stod(value);
      else if (name == "--hold") o.hold_s = std::stod(value);
      else if (name == "--messages") o.messages = std::stoull(value);
      else if (name == "--rate") o.rate = std::stod(value);
      else if (name == "--source-addresses") o.source_addresses = std::stoi(value);
      else if (name == "--server-pid") o.server_pid = std::stoi(value);
      else if (name == "--timeout") o.timeout_s = std::stod(value);
      else usage("unknown option " + name);
    } catch (const std::exception&) {
      usage("bad value for " + name + ": " + value);
    }
  }
  if (o.secret.empty()) usage("--jwt-secret is required (the server's jwt.secret)");
  if (o.scenario != "idle" && o.scenario != "fanout") usage("unknown scenario " + o.scenario);
  if (o.source_addresses < 1 || o.source_addresses > 255) usage("--source-addresses must be 1 to 255");
  if (o.connections < 1 || o.ramp <= 0 || o.timeout_s <= 0) usage("counts, ramp and timeout must be positive");
  return o;
}

// ws://HOST:PORT/PATH with a loopback IPv4 HOST.
Target target_of(const std::string& url) {
  constexpr std::string_view kScheme = "ws://";
  if (!url.starts_with(kScheme)) usage("--url must be ws://127.x.x.x:PORT/PATH");
  const std::string rest = url.substr(kScheme.size());
  const std::size_t slash = rest.find('/');
  const std::string authority = rest.substr(0, slash);
  const std::size_t colon = authority.rfind(':');
  if (colon == std::string::npos) usage("--url needs a port");
  boost::system::error_code error;
  const auto address = asio::ip::make_address(authority.substr(0, colon), error);
  if (error || !address.is_loopback()) usage("--url must name a loopback address (127.0.0.0/8)");
  Target target;
  target.endpoint = {address, static_cast<unsigned short>(std::stoi(authority.substr(colon + 1)))};
  target.host = authority;
  target.path = slash == std::string::npos ? "/" : rest.substr(slash);
  return target;
}

// What this process may open: each connection is one descriptor (plus a few of our own).
std::uint64_t descriptor_limit() {
  rlimit limit{};
  getrlimit(RLIMIT_NOFILE, &limit);
  // Raise the soft limit to the hard one; the hard one cannot be raised without privileges.
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
    getrlimit(RLIMIT_NOFILE, &limit);
  }
  return limit.rlim_cur;
}

struct ProcSample {
  std::uint64_t rss_kb = 0;
  double cpu_s = 0;  // user + system
};

ProcSample sample(int pid) {
  ProcSample out;
  if (pid <= 0) return out;
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.starts_with("VmRSS:")) out.rss_kb = std::stoull(line.substr(6));
  }
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string content((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  // Fields after the ")" that ends the command name: utime is the 12th, stime the 13th.
  const std::size_t close = content.rfind(')');
  if (close != std::string::npos) {
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

std::string token_for(const Options& options, std::uint64_t index) {
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  aicc::auth::Claims claims;
  claims.sub = "loadgen-" + std::to_string(index);
  claims.role = "CUSTOMER";
  claims.name = claims.sub;
  claims.jti = "lg-" + std::to_string(now) + "-" + std::to_string(index);
  claims.iss = options.issuer;
  claims.iat = now;
  claims.exp = now + 3600;
  return aicc::auth::sign_hs256(claims, options.secret);
}

double percentile(std::vector<std::int64_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  const auto at = static_cast<std::size_t>(p * static_cast<double>(sorted.size() - 1));
  return static_cast<double>(sorted[at]) / 1e6;  // ms
}

}  // namespace

int main(int argc, char** argv) {
  const Options options = parse(argc, argv);
  const std::uint64_t limit = descriptor_limit();
  const std::uint64_t needed = options.connections + (options.scenario == "fanout" ? 1 : 0) + 16;
  std::printf("descriptors: limit %llu, this run needs about %llu\n", static_cast<unsigned long long>(limit),
              static_cast<unsigned long long>(needed));
  if (needed > limit) {
    std::fprintf(stderr, "aicc-loadgen: %llu connections do not fit under the descriptor limit (%llu): "
                         "use fewer, or several processes\n",
                 static_cast<unsigned long long>(options.connections), static_cast<unsigned long long>(limit));
    return 2;
  }
  const Target base = target_of(options.url);

  asio::io_context io;
  Shared shared;
  std::uint64_t ready = 0;
  auto on_ready = [&ready] { ++ready; };
  const bool fanout = options.scenario == "fanout";
  const ProcSample before = sample(options.server_pid);
  const auto started = std::chrono::steady_clock::now();
  const auto deadline = started + std::chrono::duration<double>(options.timeout_s);

  // Ramp: start clients at the given rate, spreading source addresses when asked.
  asio::steady_timer ramp(io);
  std::uint64_t launched = 0;
  std::function<void()> launch_next = [&] {
    const auto due = started + std::chrono::duration<double>(static_cast<double>(launched) / options.ramp);
    while (launched < options.connections && std::chrono::steady_clock::now() >= due) {
      Target target = base;
      if (options.source_addresses > 1) {
        target.source = asio::ip::make_address_v4(0x7F000001u + static_cast<std::uint32_t>(launched % options.source_addresses));
      }
      aicc::loadgen::ClientOptions client{token_for(options, launched), fanout ? "/topic/chat" : "", 10000, fanout};
      asio::co_spawn(io, aicc::loadgen::run_client(std::move(target), std::move(client), shared, on_ready),
                     asio::detached);
      ++launched;
      break;
    }
    if (launched < options.connections) {
      ramp.expires_at(started + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                    std::chrono::duration<double>(static_cast<double>(launched) / options.ramp)));
      ramp.async_wait([&](boost::system::error_code error) {
        if (!error) launch_next();
      });
    }
  };
  launch_next();

  // Wait (polling the shared counters) until all are up or failed, or the deadline.
  auto run_until = [&](auto done) {
    while (!done() && std::chrono::steady_clock::now() < deadline) io.run_for(std::chrono::milliseconds(20));
  };
  run_until([&] { return ready + shared.failed >= options.connections; });
  const double up_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  std::map<std::string, double> figures;
  figures["connections"] = static_cast<double>(options.connections);
  figures["connected"] = static_cast<double>(shared.connected);
  figures["failed"] = static_cast<double>(shared.failed);
  figures["rampSeconds"] = up_s;

  if (!fanout) {
    const auto hold_until = std::chrono::steady_clock::now() + std::chrono::duration<double>(options.hold_s);
    run_until([&] { return std::chrono::steady_clock::now() >= hold_until; });
    const ProcSample after = sample(options.server_pid);
    if (options.server_pid > 0) {
      figures["serverRssKiB"] = static_cast<double>(after.rss_kb);
      figures["serverRssGrowthKiB"] = static_cast<double>(after.rss_kb) - static_cast<double>(before.rss_kb);
      figures["serverBytesPerConnection"] =
          shared.connected > 0 ? 1024.0 * figures["serverRssGrowthKiB"] / static_cast<double>(shared.connected) : 0;
      figures["serverCpuSeconds"] = after.cpu_s - before.cpu_s;
    }
  } else {
    const std::uint64_t expected = options.messages * shared.subscribed;
    const auto publish_start = std::chrono::steady_clock::now();
    asio::co_spawn(io, aicc::loadgen::run_publisher(base, token_for(options, options.connections), options.messages,
                                                    options.rate, shared),
                   asio::detached);
    run_until([&] { return shared.messages >= expected || shared.failed > 0; });
    // Anything still on its way gets a moment more; then what arrived is what counts.
    const auto settle = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    run_until([&] { return shared.messages >= expected || std::chrono::steady_clock::now() >= settle; });
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - publish_start).count();
    std::sort(shared.latencies_ns.begin(), shared.latencies_ns.end());
    figures["subscribers"] = static_cast<double>(shared.subscribed);
    figures["published"] = static_cast<double>(options.messages);
    figures["expected"] = static_cast<double>(expected);
    figures["delivered"] = static_cast<double>(shared.messages);
    figures["deliveredPerSecond"] = seconds > 0 ? static_cast<double>(shared.messages) / seconds : 0;
    figures["latencyP50Ms"] = percentile(shared.latencies_ns, 0.50);
    figures["latencyP99Ms"] = percentile(shared.latencies_ns, 0.99);
    figures["latencyP999Ms"] = percentile(shared.latencies_ns, 0.999);
    figures["latencyMaxMs"] = shared.latencies_ns.empty() ? 0 : static_cast<double>(shared.latencies_ns.back()) / 1e6;
    if (options.server_pid > 0) figures["serverCpuSeconds"] = sample(options.server_pid).cpu_s - before.cpu_s;
  }
  shared.stop = true;

  std::printf("scenario %s against %s\n", options.scenario.c_str(), options.url.c_str());
  for (const auto& [name, value] : figures) std::printf("  %-26s %14.3f\n", name.c_str(), value);
  if (!shared.first_error.empty()) std::printf("  first failure: %s\n", shared.first_error.c_str());
  if (!options.json.empty()) {
    std::ofstream out(options.json);
    out << "{\"scenario\":\"" << options.scenario << "\"";
    for (const auto& [name, value] : figures) out << ",\"" << name << "\":" << value;
    out << "}\n";
  }
  io.stop();
  return shared.failed == 0 ? 0 : 1;
}
