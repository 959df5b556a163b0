// One accepted TCP connection: HTTP/1.1 requests in a keep-alive loop, handed to the router,
// the SockJS endpoints, or (on an Upgrade) to a WebSocket session.
#pragma once

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstddef>
#include <optional>
#include <string>

#include "net/handshake_guard.hpp"
#include "net/services.hpp"

namespace aicc::http {

class Router;
class SockJsServer;
class UploadGate;

struct HttpContext {
  net::Services& services;
  const Router& router;
  SockJsServer& sockjs;
  net::HandshakeRateLimiter& handshake_limiter;
  // Connections being served (server.max-connections); set by the Listener. A WebSocket outlives
  // its HTTP session and keeps its place in this count until it ends.
  std::atomic<std::size_t>* open_connections = nullptr;
  // Uploads in flight (upload_gate.hpp); none: no cap besides attachments.max-bytes (tests).
  UploadGate* uploads = nullptr;
};

// Who is at the other end when the socket cannot say: a TLS connection's plaintext comes through
// an in-process socket pair (tls_bridge.hpp), which counts the connection for its whole life.
struct PeerInfo {
  std::string address;
  bool tls = false;
};

boost::asio::awaitable<void> run_http_session(HttpContext& context,
                                              boost::asio::ip::tcp::socket socket,
                                              std::optional<PeerInfo> peer = std::nullopt);

}  // namespace aicc::http
