// What every connection shares: configuration, the hub, metrics, token checks and app handlers.
// Built once in app/ and outliving every connection.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/token_service.hpp"
#include "broker/app_router.hpp"
#include "config/config.hpp"
#include "net/metrics.hpp"
#include "stomp/message.hpp"

namespace aicc::net {

class BlockingPool;
class Hub;
class UserSendLimits;

struct Services {
  const config::Config& config;
  Hub& hub;
  Metrics& metrics;
  auth::TokenService& tokens;
  const broker::AppRouter& app;
  // Per-user SEND rate limits, shared by every connection; none when null (tests of one part).
  UserSendLimits* user_limits = nullptr;
  // Where handshakes redeem WebSocket tickets (they may live in Redis); null: inline (tests).
  BlockingPool* blocking = nullptr;
  // SUBSCRIBE with since-seq:N to a sequenced stream (rooms) reads it one page at a time: up to
  // `max_count` messages with seq > `after_seq`, oldest first, handed to `done` (on any thread)
  // with `ok` true; fewer than asked means the stream's end. `ok` false: the read failed (the
  // reason is logged where it happened). Returns false, calling nothing, when the destination is
  // not a stream that can be replayed; nullptr when there is none at all.
  using ReplayDone =
      std::function<void(std::vector<std::shared_ptr<const stomp::Message>> page, bool ok)>;
  std::function<bool(std::string_view destination, std::uint64_t after_seq, std::size_t max_count,
                     ReplayDone done)>
      replay = {};
  // SUBSCRIBE without since-seq to a sequenced stream: the seq of its newest stored message, the
  // point from which the subscription must get every message, handed to `done` on any thread
  // (nullopt: the read failed). Returns false, calling nothing, when the destination is not such a
  // stream.
  using PositionDone = std::function<void(std::optional<std::uint64_t> last_seq)>;
  std::function<bool(std::string_view destination, PositionDone done)> stream_position = {};
};

}  // namespace aicc::net
