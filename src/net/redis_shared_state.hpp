// util::SharedState in Redis, for several nodes: tickets redeemed with GETDEL, seen-once keys with
// SET NX EX, sliding windows in sorted sets changed by one script (atomic on the server), every
// key under the "aicc:" prefix. Redis 6.2 or later (GETDEL).
//
// Synchronous hiredis connections, kept in a small pool and used from the blocking worker pools
// (never from I/O threads). A connection that fails or times out (2 s) is dropped and the call
// throws util::SharedStateUnavailable; the next call connects again.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "net/redis_bus.hpp"
#include "util/shared_state.hpp"

struct redisContext;

namespace aicc::net {

class RedisSharedState final : public util::SharedState {
 public:
  explicit RedisSharedState(RedisAddress address, std::size_t max_idle = 4);
  ~RedisSharedState() override;
  RedisSharedState(const RedisSharedState&) = delete;
  RedisSharedState& operator=(const RedisSharedState&) = delete;

  void put(std::string_view key, std::string_view value, std::int64_t ttl) override;
  std::optional<std::string> take(std::string_view key) override;
  std::optional<std::string> get(std::string_view key) override;
  bool add(std::string_view key, std::int64_t ttl) override;
  std::vector<std::int64_t> events(std::string_view key, std::int64_t now, std::int64_t window,
                                   std::size_t keep, bool record) override;
  Reservation reserve(std::string_view key, std::string_view member, std::int64_t now,
                      std::int64_t window, std::size_t limit) override;
  void release(std::string_view key, std::string_view member) override;
  void clear(std::string_view key) override;

 private:
  struct ContextDeleter {
    void operator()(redisContext* context) const;
  };
  using Connection = std::unique_ptr<redisContext, ContextDeleter>;

  Connection connect() const;
  // Runs `command` on a pooled connection; a connection whose command threw is not reused.
  template <class Command>
  auto with_connection(Command&& command);

  const RedisAddress address_;
  const std::size_t max_idle_;
  std::mutex mutex_;
  std::vector<Connection> idle_;
};

}  // namespace aicc::net
