// The /metrics lines of the parts a node joins a cluster with: the bus, the PostgreSQL pool and
// readiness. Absent parts (one node: no bus, SQLite) add nothing.
#pragma once

#include "app/readiness.hpp"
#include "net/bus.hpp"
#include "net/metrics.hpp"

namespace aicc::store::postgres {
class Pool;
}

namespace aicc::app {

// Every argument must outlive `metrics`' use; `bus` and `pool` may be null.
void add_node_metrics(net::Metrics& metrics, const net::Bus* bus, const store::postgres::Pool* pool,
                      const Readiness& readiness);

}  // namespace aicc::app
