// The Bus on Redis PUB/SUB (bus.kind redis): hiredis's asynchronous API driven by an Asio
// io_context on a thread of its own.
//
// Two connections per node: one in subscriber mode, holding SUBSCRIBE for exactly the channels
// this node listens on (aicc:<channel>), and one for PUBLISH, whose commands hiredis pipelines
// (a publish never waits for the previous one's reply). Either connection that drops is opened
// again after a short, growing pause (100 ms up to 2 s); the subscriber then subscribes every
// channel again and reports each through Receiver::resubscribed, because events published
// meanwhile are gone: Redis is never the only copy of a chat message (it is stored first), and
// the caller catches its subscribers up from the store. A publish while the connection is down is
// dropped and counted, never queued without bound.
//
// Every call is thread-safe: it posts to the bus's thread.
#pragma once

#include <memory>
#include <string>

#include "net/bus.hpp"

namespace aicc::net {

struct RedisAddress {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string username;  // Redis 6 ACL user; empty: the default user
  std::string password;  // empty: no AUTH
  int database = 0;
};

// Parses redis://[[user]:password@]host[:port][/db]. nullopt-like: an error message instead.
// (rediss:// needs TLS, which this build's hiredis lacks: refused with a message saying so.)
struct RedisAddressResult {
  RedisAddress address;
  std::string error;  // empty when the URL was understood
};
RedisAddressResult parse_redis_url(std::string_view url);

class RedisBus final : public Bus {
 public:
  // `node_id` tells this node's events apart (they come back on its own subscriptions and are
  // skipped). Starts connecting at once, in the background.
  RedisBus(RedisAddress address, std::string node_id);
  ~RedisBus() override;  // closes both connections and joins the thread
  RedisBus(const RedisBus&) = delete;
  RedisBus& operator=(const RedisBus&) = delete;

  void publish(const std::string& channel, BusEvent event) override;
  void publish_to_listener(const std::string& channel, BusEvent event,
                           std::function<void()> nobody) override;
  void listen(const std::string& channel) override;
  void unlisten(const std::string& channel) override;
  void set_receiver(Receiver receiver) override;
  BusFigures figures() const override;

  const std::string& node_id() const override;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace aicc::net
