// Accepts STOMP-over-TCP connections (stomp.tcp-port) and spreads them over the I/O threads, like
// the HTTP listener. New connections pass the same per-address rate limit as WebSocket handshakes
// and count towards server.max-connections with the HTTP ones.
#pragma once

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "net/handshake_guard.hpp"
#include "net/services.hpp"

namespace aicc::net {

class TcpStompListener {
 public:
  // `contexts[0]` runs the acceptor. `open` counts the server's open connections (shared with the
  // HTTP listener) for server.max-connections.
  TcpStompListener(Services& services, HandshakeRateLimiter& limiter,
                   std::vector<boost::asio::io_context*> contexts, std::atomic<std::size_t>& open);

  // Binds and listens; returns the bound port. Throws with a message that names the address.
  std::uint16_t listen(const std::string& host, std::uint16_t port);
  void start();
  // Stops accepting; connections already open carry on.
  void stop();

 private:
  boost::asio::awaitable<void> accept_loop();

  Services& services_;
  HandshakeRateLimiter& limiter_;
  std::vector<boost::asio::io_context*> contexts_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::size_t next_ = 0;
  std::atomic<std::size_t>& open_;
};

}  // namespace aicc::net
