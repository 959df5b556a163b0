#include "bench/loadgen/report.hpp"

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>
#include <cmath>
#include <cstdio>
#include <fstream>

namespace aicc::loadgen {
namespace {

double seconds_between(double from_ns, double to_ns) {
  return to_ns > from_ns ? (to_ns - from_ns) / 1e9 : 0;
}

double per_second(double count, double seconds) { return seconds > 0 ? count / seconds : 0; }

// Nearest rank, in milliseconds.
double percentile_ms(const std::vector<std::int64_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  const auto rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(sorted.size())));
  return static_cast<double>(sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1]) / 1e6;
}

std::string number(double value) {
  if (!std::isfinite(value)) return "0";
  char text[64];
  if (value == std::floor(value) && std::fabs(value) < 1e15) {
    std::snprintf(text, sizeof text, "%.0f", value);
  } else {
    std::snprintf(text, sizeof text, "%.6g", value);
  }
  return text;
}

}  // namespace

Report report_of(const Options& o, const RunOutcome& run) {
  Report report;
  const Tally& t = run.tally;
  auto add = [&report](std::string name, double value) {
    report.figures.emplace_back(std::move(name), value);
  };
  const bool measured = o.server_pid > 0;
  auto phase = [&run](std::size_t i) { return i < run.phases.size() ? run.phases[i] : PhaseEnd{}; };

  add("connections", static_cast<double>(o.connections));
  add("connected", t.sum("connected"));
  add("failed", t.sum("failed"));
  add("rampSeconds",
      seconds_between(static_cast<double>(run.started_ns), static_cast<double>(phase(0).at_ns)));
  if (t.sum("failed") > 0)
    report.problems.push_back(number(t.sum("failed")) + " connections failed");

  auto latencies = [&] {
    std::vector<std::int64_t> sorted = t.latencies_ns;
    sorted.insert(sorted.end(), t.other_node_latencies_ns.begin(), t.other_node_latencies_ns.end());
    std::sort(sorted.begin(), sorted.end());
    add("latencyP50Ms", percentile_ms(sorted, 0.50));
    add("latencyP99Ms", percentile_ms(sorted, 0.99));
    add("latencyP999Ms", percentile_ms(sorted, 0.999));
    add("latencyMaxMs", sorted.empty() ? 0 : static_cast<double>(sorted.back()) / 1e6);
    if (o.spread.empty() || o.scenario != Scenario::kFanout) return;
    // The same run, by where the subscriber was: on the publisher's node, or one hop away.
    for (const auto& [prefix, samples] : {std::pair{"publisherNode", &t.latencies_ns},
                                          {"otherNodes", &t.other_node_latencies_ns}}) {
      std::vector<std::int64_t> part = *samples;
      std::sort(part.begin(), part.end());
      add(std::string(prefix) + "Delivered", static_cast<double>(part.size()));
      add(std::string(prefix) + "LatencyP50Ms", percentile_ms(part, 0.50));
      add(std::string(prefix) + "LatencyP99Ms", percentile_ms(part, 0.99));
    }
  };

  switch (o.scenario) {
    case Scenario::kIdle:
      if (measured) {
        const ProcSample held = phase(1).server;
        const double growth =
            static_cast<double>(held.rss_kib) - static_cast<double>(run.server_before.rss_kib);
        add("serverRssKiB", static_cast<double>(held.rss_kib));
        add("serverRssGrowthKiB", growth);
        add("serverBytesPerConnection",
            t.sum("connected") > 0 ? 1024.0 * growth / t.sum("connected") : 0);
        add("serverCpuSeconds", held.cpu_s - run.server_before.cpu_s);
      }
      break;
    case Scenario::kFanout: {
      const double expected = static_cast<double>(o.messages) * t.sum("subscribers");
      add("subscribers", t.sum("subscribers"));
      add("published", t.sum("published"));
      add("expected", expected);
      add("delivered", t.sum("delivered"));
      add("deliveredPerSecond",
          per_second(t.sum("delivered"),
                     seconds_between(t.min("publishStartNs"), t.max("lastDeliveryNs"))));
      add("rate", o.rate);
      latencies();
      if (measured) {
        add("serverRssKiB", static_cast<double>(phase(2).server.rss_kib));
        add("serverCpuSeconds",
            phase(2).server.cpu_s - phase(0).server.cpu_s);  // publishing and delivering
      }
      if (t.sum("delivered") < expected) {
        report.problems.push_back(number(expected - t.sum("delivered")) + " of " +
                                  number(expected) + " deliveries missing");
      }
      break;
    }
    case Scenario::kRooms: {
      const double wanted = static_cast<double>(o.connections / 2);
      add("rooms", t.sum("rooms"));
      add("sent", t.sum("sent"));
      add("delivered", t.sum("delivered"));
      add("deliveredPerSecond",
          per_second(t.sum("delivered"),
                     seconds_between(t.min("sendStartNs"), t.max("lastDeliveryNs"))));
      add("rate", o.rate);
      latencies();
      if (measured) {
        add("serverRssKiB", static_cast<double>(phase(2).server.rss_kib));
        add("serverCpuSeconds",
            phase(2).server.cpu_s - phase(1).server.cpu_s);  // the sending phase
      }
      if (t.sum("rooms") < wanted)
        report.problems.push_back(number(t.sum("rooms")) + " of " + number(wanted) + " rooms made");
      if (t.sum("delivered") < t.sum("sent")) {
        report.problems.push_back(number(t.sum("sent") - t.sum("delivered")) + " of " +
                                  number(t.sum("sent")) + " room messages missing");
      }
      if (t.sum("domainErrors") > 0)
        report.problems.push_back(number(t.sum("domainErrors")) + " domain errors");
      break;
    }
    case Scenario::kDurable: {
      const double wanted = static_cast<double>(o.connections / 2);
      add("pairs", t.sum("pairs"));
      add("window", static_cast<double>(o.window));
      add("rate", o.rate);
      add("sent", t.sum("sent"));
      add("receipts", t.sum("receipts"));
      const double sending_s = seconds_between(t.min("sendStartNs"), t.max("lastReceiptNs"));
      add("receiptsPerSecond", per_second(t.sum("receipts"), sending_s));
      std::vector<std::int64_t> receipts = t.receipt_latencies_ns;
      std::sort(receipts.begin(), receipts.end());
      add("receiptP50Ms", percentile_ms(receipts, 0.50));
      add("receiptP99Ms", percentile_ms(receipts, 0.99));
      add("receiptP999Ms", percentile_ms(receipts, 0.999));
      add("receiptMaxMs", receipts.empty() ? 0 : static_cast<double>(receipts.back()) / 1e6);
      add("delivered", t.sum("delivered"));
      add("deliveredPerSecond",
          per_second(t.sum("delivered"),
                     seconds_between(t.min("sendStartNs"), t.max("lastDeliveryNs"))));
      latencies();
      if (measured) {
        add("serverRssKiB", static_cast<double>(phase(2).server.rss_kib));
        add("serverCpuSeconds", phase(2).server.cpu_s - phase(1).server.cpu_s);
      }
      if (t.sum("pairs") < wanted)
        report.problems.push_back(number(t.sum("pairs")) + " of " + number(wanted) + " pairs made");
      if (t.sum("receipts") < t.sum("sent")) {
        report.problems.push_back(number(t.sum("sent") - t.sum("receipts")) + " of " +
                                  number(t.sum("sent")) + " receipts missing");
      }
      if (t.sum("delivered") < t.sum("receipts")) {
        report.problems.push_back(number(t.sum("receipts") - t.sum("delivered")) + " of " +
                                  number(t.sum("receipts")) +
                                  " acknowledged messages not delivered");
      }
      if (t.sum("domainErrors") > 0)
        report.problems.push_back(number(t.sum("domainErrors")) + " domain errors");
      break;
    }
    case Scenario::kStorm:
      add("connectionsPerSecond",
          per_second(t.sum("connected"),
                     seconds_between(t.min("firstLaunchNs"), t.max("lastConnectedNs"))));
      if (!o.restart_command.empty()) {
        add("reconnected", t.sum("reconnected"));
        add("reconnectSeconds", seconds_between(static_cast<double>(run.restart_returned_ns),
                                                t.max("lastReconnectedNs")));
        if (t.sum("reconnected") < t.sum("connected")) {
          report.problems.push_back(number(t.sum("connected") - t.sum("reconnected")) +
                                    " connections did not come back");
        }
      }
      if (measured) add("serverRssKiB", static_cast<double>(phase(0).server.rss_kib));
      break;
  }
  if (t.max("timedOut") > 0)
    report.problems.push_back("the run hit --timeout (" + number(o.timeout_s) + " s)");
  if (run.trouble) report.problems.push_back("the run itself went wrong (see the first failure)");
  return report;
}

void print_report(const Options& o, const Report& report, const std::string& first_error) {
  std::printf("scenario %s against %s over %s (%s), %d process%s%s%s\n", name_of(o.scenario),
              name_of(o.target), name_of(o.transport), o.url.c_str(), o.processes,
              o.processes == 1 ? "" : "es", o.label.empty() ? "" : ", label ", o.label.c_str());
  for (const auto& [name, value] : report.figures) {
    std::printf("  %-26s %14s\n", name.c_str(), number(value).c_str());
  }
  for (const std::string& problem : report.problems) std::printf("  FAILED: %s\n", problem.c_str());
  if (!first_error.empty()) std::printf("  first failure: %s\n", first_error.c_str());
  std::fflush(stdout);
}

bool write_json(const Options& o, const Report& report) {
  std::ofstream out(o.json);
  auto quoted = [](const std::string& text) {
    return boost::json::serialize(boost::json::string(text));
  };
  out << "{\"scenario\":" << quoted(name_of(o.scenario))
      << ",\"target\":" << quoted(name_of(o.target))
      << ",\"transport\":" << quoted(name_of(o.transport)) << ",\"label\":" << quoted(o.label);
  for (const auto& [name, value] : report.figures)
    out << "," << quoted(name) << ":" << number(value);
  out << "}\n";
  return static_cast<bool>(out.flush());
}

}  // namespace aicc::loadgen
