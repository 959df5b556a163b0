// Opens the configured bus between nodes (bus.kind).
#pragma once

#include <memory>

#include "config/config.hpp"
#include "net/bus.hpp"

namespace aicc::app {

// Null for bus.kind local (one node: the Hub alone). For redis, a RedisBus that connects in the
// background; throws std::runtime_error when bus.redis.url cannot be used.
std::unique_ptr<net::Bus> open_bus(const config::Config& config);

}  // namespace aicc::app
