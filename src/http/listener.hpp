// Accepts TCP connections and spreads them over the I/O threads, one io_context each.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "http/http_session.hpp"

namespace aicc::net {
class TlsCertificates;
}

namespace aicc::http {

class Listener {
 public:
  // `contexts[0]` runs the acceptor; new connections go round robin over all of them.
  Listener(HttpContext& context, std::vector<boost::asio::io_context*> contexts);

  // Binds and listens; returns the bound port (useful with port 0). Throws on failure with a
  // message that names the address.
  std::uint16_t listen(const std::string& host, std::uint16_t port);
  // From now on every connection speaks TLS with the certificates' current pair (tls_bridge.hpp).
  void serve_tls(const net::TlsCertificates& certificates) { tls_ = &certificates; }
  void start();
  // Stops accepting; connections already open carry on.
  void stop();
  // TCP connections being served; other listeners count theirs here too (server.max-connections).
  std::atomic<std::size_t>& open_connections() { return open_; }

 private:
  boost::asio::awaitable<void> accept_loop();

  HttpContext& context_;
  std::vector<boost::asio::io_context*> contexts_;
  boost::asio::ip::tcp::acceptor acceptor_;
  const net::TlsCertificates* tls_ = nullptr;
  std::size_t next_ = 0;
  std::atomic<std::size_t> open_ = 0;  // TCP connections being served, for server.max-connections
};

}  // namespace aicc::http
