// POST /api/auth/login, /guest, /refresh, /logout, /ws-ticket (PROTOCOL.md "HTTP API").
//
// The refresh token travels in the `aicc_refresh` cookie (HttpOnly; SameSite=Strict;
// Path=/api/auth; Secure over TLS or with auth.cookie-secure). A client that gets no such cookie
// (the widget in a cross-site iframe) asks for it in the body instead with
// `"refreshTokenIn": "body"` on login, guest and refresh: the answer then carries `refreshToken`
// and `refreshExpiresIn` and sets no cookie, and the client sends the token back as
// `{"refreshToken": ...}` (guest resumes with it, like with the cookie; the cookie wins when both
// come). A page of another origin listed in ws.allowed-origins (http/cors.hpp) always gets the
// body's mode, whatever it asks. Rotation and reuse detection are the same either way. Store work
// runs on the blocking pool, never on I/O threads; logins, whose argon2id check costs tens of
// milliseconds of CPU, run on a bounded pool of their own, so a crowd logging in never slows
// refresh, guest or logout: a login that finds that pool and its queue full is refused at once with
// 503 and Retry-After.
#pragma once

#include <boost/json/object.hpp>
#include <string>

#include "auth/login_throttle.hpp"
#include "auth/token_service.hpp"
#include "config/config.hpp"
#include "http/router.hpp"
#include "net/blocking_pool.hpp"
#include "net/handshake_guard.hpp"
#include "net/hub.hpp"
#include "net/metrics.hpp"
#include "util/result.hpp"

namespace aicc::http {

struct AuthRouteDeps {
  const config::Config& config;
  auth::TokenService& tokens;
  auth::LoginThrottle& throttle;
  net::HandshakeRateLimiter& guest_limiter;  // new guests per client address
  net::BlockingPool& pool;                   // store work of guest, refresh and logout
  net::BlockingPool& hash_pool;  // logins (argon2id), bounded: when full, 503 + Retry-After
  net::Hub& hub;
  net::Metrics& metrics;
};

inline constexpr std::string_view kRefreshCookie = "aicc_refresh";

void add_auth_routes(Router& router, AuthRouteDeps& deps);

// The value of cookie `name` in a Cookie header; empty when absent.
std::string_view cookie_value(std::string_view cookie_header, std::string_view name);

// Where a session answer puts the refresh token.
enum class RefreshTokenIn {
  kCookie,  // the aicc_refresh cookie (the default)
  kBody,    // `refreshToken` and `refreshExpiresIn` in the JSON answer, no Set-Cookie
};

// The body's `refreshTokenIn`: absent or null is the cookie, "body" the body; any other value
// is refused with the reason.
util::Result<RefreshTokenIn, std::string> refresh_token_in(const boost::json::object& body);

}  // namespace aicc::http
