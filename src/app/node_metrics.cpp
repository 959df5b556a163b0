#include "app/node_metrics.hpp"

#include <sstream>

#include "store/postgres/pool.hpp"

namespace aicc::app {
namespace {

void block(std::ostringstream& out, std::string_view name, std::string_view type,
           std::string_view help, double value) {
  out << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n'
      << name << ' ' << value << '\n';
}

}  // namespace

void add_node_metrics(net::Metrics& metrics, const net::Bus* bus, const store::postgres::Pool* pool,
                      const Readiness& readiness) {
  metrics.add_section([&readiness] {
    std::ostringstream out;
    block(out, "aicc_ready", "gauge", "1 when this node takes traffic (GET /health/ready).",
          readiness.snapshot().ready ? 1 : 0);
    return out.str();
  });
  if (bus) {
    metrics.add_section([bus] {
      const net::BusFigures f = bus->figures();
      std::ostringstream out;
      block(out, "aicc_bus_published_total", "counter", "Events this node sent on the bus.",
            static_cast<double>(f.published));
      block(out, "aicc_bus_received_total", "counter", "Events from other nodes applied here.",
            static_cast<double>(f.received));
      block(out, "aicc_bus_dropped_total", "counter",
            "Events not sent (bus down or backed up) or not decodable.",
            static_cast<double>(f.dropped));
      block(out, "aicc_bus_reconnects_total", "counter", "Bus connections opened again.",
            static_cast<double>(f.reconnects));
      block(out, "aicc_bus_connected", "gauge", "1 when connected with every channel subscribed.",
            f.connected ? 1 : 0);
      block(out, "aicc_bus_channels", "gauge", "Channels this node listens on.",
            static_cast<double>(f.channels));
      block(out, "aicc_bus_lag_seconds", "gauge",
            "Time from publish on another node to receipt here, of the last event.",
            f.lag_ms / 1000.0);
      return out.str();
    });
  }
  if (pool) {
    metrics.add_section([pool] {
      const store::postgres::PoolFigures f = pool->figures();
      std::ostringstream out;
      block(out, "aicc_store_pool_size", "gauge", "PostgreSQL connections this node may open.",
            static_cast<double>(f.size));
      block(out, "aicc_store_pool_in_use", "gauge", "PostgreSQL connections lent out now.",
            static_cast<double>(f.in_use));
      block(out, "aicc_store_errors_total", "counter", "Store calls that failed.",
            static_cast<double>(f.errors));
      block(out, "aicc_store_reconnects_total", "counter", "PostgreSQL connections reopened.",
            static_cast<double>(f.reconnects));
      return out.str();
    });
  }
}

}  // namespace aicc::app
