// What every connection shares: configuration, the hub, metrics, token checks and app handlers.
// Built once in app/ and outliving every connection.
#pragma once

#include "auth/token_service.hpp"
#include "broker/app_router.hpp"
#include "config/config.hpp"
#include "net/metrics.hpp"

namespace aicc::net {

class Hub;

struct Services {
  const config::Config& config;
  Hub& hub;
  Metrics& metrics;
  auth::TokenService& tokens;
  const broker::AppRouter& app;
};

}  // namespace aicc::net
