// One accepted TCP connection: HTTP/1.1 requests in a keep-alive loop, handed to the router,
// the SockJS endpoints, or (on an Upgrade) to a WebSocket session.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "net/handshake_guard.hpp"
#include "net/services.hpp"

namespace aicc::http {

class Router;
class SockJsServer;

struct HttpContext {
  net::Services& services;
  const Router& router;
  SockJsServer& sockjs;
  net::HandshakeRateLimiter& handshake_limiter;
};

boost::asio::awaitable<void> run_http_session(HttpContext& context, boost::asio::ip::tcp::socket socket);

}  // namespace aicc::http
