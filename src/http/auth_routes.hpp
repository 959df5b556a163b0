// POST /api/auth/login, /guest, /refresh, /logout, /ws-ticket (PROTOCOL.md "HTTP API").
//
// The refresh token travels only in the `aicc_refresh` cookie (HttpOnly; SameSite=Strict;
// Path=/api/auth; Secure over TLS or with auth.cookie-secure), or in a JSON body for clients that
// have no cookie jar. Store and password work runs on the blocking pool, never on I/O threads.
#pragma once

#include "auth/login_throttle.hpp"
#include "auth/token_service.hpp"
#include "config/config.hpp"
#include "http/router.hpp"
#include "net/blocking_pool.hpp"
#include "net/handshake_guard.hpp"
#include "net/hub.hpp"
#include "net/metrics.hpp"

namespace aicc::http {

struct AuthRouteDeps {
  const config::Config& config;
  auth::TokenService& tokens;
  auth::LoginThrottle& throttle;
  net::HandshakeRateLimiter& guest_limiter;  // new guests per client address
  net::BlockingPool& pool;
  net::Hub& hub;
  net::Metrics& metrics;
};

inline constexpr std::string_view kRefreshCookie = "aicc_refresh";

void add_auth_routes(Router& router, AuthRouteDeps& deps);

// The value of cookie `name` in a Cookie header; empty when absent.
std::string_view cookie_value(std::string_view cookie_header, std::string_view name);

}  // namespace aicc::http
