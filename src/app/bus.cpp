#include "app/bus.hpp"

#include <spdlog/spdlog.h>

#include <stdexcept>

#include "net/redis_bus.hpp"
#include "net/redis_shared_state.hpp"
#include "util/random.hpp"

namespace aicc::app {

std::unique_ptr<net::Bus> open_bus(const config::Config& config) {
  if (config.bus.kind == "local") return nullptr;
  if (config.bus.kind != "redis") {
    throw std::runtime_error("bus.kind " + config.bus.kind + " is not one this build has");
  }
  const net::RedisAddressResult parsed = net::parse_redis_url(config.bus.redis.url);
  if (!parsed.error.empty()) throw std::runtime_error("bus.redis.url: " + parsed.error);
  // A new id per process: a node that restarts is a new member, and its old events are not its.
  const std::string node_id = util::random_hex(8);
  spdlog::info("bus: redis at {}:{}, this node is {}", parsed.address.host, parsed.address.port,
               node_id);
  spdlog::info(
      "bus: consult and agent commands are decided by the node holding the routing authority; "
      "the other nodes forward them to it");
  return std::make_unique<net::RedisBus>(parsed.address, node_id);
}

std::unique_ptr<util::SharedState> open_shared_state(const config::Config& config) {
  if (config.bus.kind != "redis") return nullptr;
  const net::RedisAddressResult parsed = net::parse_redis_url(config.bus.redis.url);
  if (!parsed.error.empty()) throw std::runtime_error("bus.redis.url: " + parsed.error);
  return std::make_unique<net::RedisSharedState>(parsed.address);
}

}  // namespace aicc::app
