// What a transport (WebSocket, SockJS session, TCP) carries: bytes in, queued frames out.
//
// StompConnection is the one clients use. The others are the SockJS protocol's test services
// (echo_connection.hpp), which exist only with sockjs.test-services so the SockJS reference suite
// can drive the very transports the STOMP endpoints use.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "net/handshake_ticket.hpp"
#include "net/metrics.hpp"
#include "stomp/message.hpp"

namespace aicc::net {

struct Services;

// Implemented by the transport that carries the connection.
class ConnectionTransport {
 public:
  virtual ~ConnectionTransport() = default;
  // Output is waiting in the connection (take_output), or a close was requested.
  virtual void wake() = 0;
  // Close now without flushing (the peer did not read what was left within the close timeout).
  virtual void abort() = 0;
};

class Connection {
 public:
  virtual ~Connection() = default;

  // Starts the connection on its executor, with the transport that carries it. Call once.
  virtual void start(ConnectionTransport& transport) = 0;
  // From the transport, on the executor: bytes from the client, and the end of the transport.
  virtual void on_data(std::string_view bytes) = 0;
  virtual void on_transport_closed(std::string_view reason) = 0;

  // Moves queued output into `into` (at least one item when any is queued, then up to `max_bytes`
  // and `max_items`). Returns the number of bytes taken.
  virtual std::size_t take_output(std::vector<stomp::Outbound>& into, std::size_t max_bytes,
                                  std::size_t max_items = static_cast<std::size_t>(-1)) = 0;
  virtual bool has_output() const = 0;
  // The connection asked to close and all of its output has been taken.
  virtual bool should_close() const = 0;
  // The WebSocket close code and reason for that close on the raw (non-SockJS) framing.
  virtual std::uint16_t close_code() const { return 1000; }
  virtual std::string_view close_reason() const { return {}; }
};

// What a connection runs: the STOMP server, or one of the SockJS protocol test services.
enum class Application {
  kStomp,
  kEcho,   // sends every message back as it came
  kClose,  // closes the session at once with 3000 "Go away!"
};

// A new connection of `application` on `executor`. `handshake_ticket`: the ?ticket= of the
// WebSocket or SockJS URL as redeemed (STOMP only).
std::shared_ptr<Connection> make_connection(Application application, Services& services,
                                            boost::asio::any_io_executor executor, Transport kind,
                                            std::string remote_address,
                                            HandshakeTicket handshake_ticket);

}  // namespace aicc::net
