// What every connection shares: configuration, the hub, metrics, token checks and app handlers.
// Built once in app/ and outliving every connection.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "auth/token_service.hpp"
#include "broker/app_router.hpp"
#include "config/config.hpp"
#include "net/metrics.hpp"
#include "stomp/message.hpp"

namespace aicc::net {

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
  // SUBSCRIBE with since-seq:N to a sequenced stream (rooms): reads what came after N and hands it
  // to `done` (on any thread), oldest first; nullptr when there is no such stream to replay.
  using ReplayDone = std::function<void(std::vector<std::shared_ptr<const stomp::Message>>)>;
  std::function<bool(std::string_view destination, std::uint64_t since, ReplayDone done)> replay =
      {};
};

}  // namespace aicc::net
