// Opens the configured bus between nodes (bus.kind).
#pragma once

#include <memory>

#include "config/config.hpp"
#include "net/bus.hpp"
#include "util/shared_state.hpp"

namespace aicc::app {

// Null for bus.kind local (one node: the Hub alone). For redis, a RedisBus that connects in the
// background; throws std::runtime_error when bus.redis.url cannot be used.
std::unique_ptr<net::Bus> open_bus(const config::Config& config);

// Where the state every node must see the same lives (util/shared_state.hpp): the bus's Redis for
// bus.kind redis; null for local, where each part keeps its own in memory (tickets, failed logins,
// and the webhook verifier's bounded replay cache).
std::unique_ptr<util::SharedState> open_shared_state(const config::Config& config);

}  // namespace aicc::app
