// How STOMP bytes travel: raw WebSocket (one frame per text message), SockJS's websocket transport
// (frames inside JSON arrays) or plain TCP (a byte stream). The STOMP client above sees only frames
// written and bytes read.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "bench/loadgen/options.hpp"

namespace aicc::loadgen {

class Transport {
 public:
  virtual ~Transport() = default;
  // TCP connect (from `source`, when given) and the transport's own handshake. Empty on success,
  // else what failed.
  virtual boost::asio::awaitable<std::string> open(
      const Endpoint& endpoint, std::optional<boost::asio::ip::address> source) = 0;
  // Writes one STOMP frame (or a heart-beat EOL). Empty on success, else what failed.
  virtual boost::asio::awaitable<std::string> write(const std::string& frame) = 0;
  // Appends the STOMP bytes that arrived next (possibly none, e.g. a SockJS heartbeat) to `out`.
  // False once the connection has ended; `error` then says why.
  virtual boost::asio::awaitable<bool> read(std::string& out, std::string& error) = 0;
  // Ends the connection; pending operations complete with an error.
  virtual void close() = 0;
};

std::unique_ptr<Transport> make_transport(TransportKind kind,
                                          const boost::asio::any_io_executor& executor);
// Raw WebSocket, or SockJS framing on it (transport_ws.cpp).
std::unique_ptr<Transport> make_websocket_transport(const boost::asio::any_io_executor& executor,
                                                    bool sockjs);

// TCP connect of `socket` to `endpoint`, bound to `source` when given. Empty on success.
boost::asio::awaitable<std::string> connect_socket(boost::asio::ip::tcp::socket& socket,
                                                   const boost::asio::ip::tcp::endpoint& endpoint,
                                                   std::optional<boost::asio::ip::address> source);

}  // namespace aicc::loadgen
