// The SockJS protocol's test services, as sockjs-protocol's suite expects them: `echo` sends each
// message back unchanged, `close` ends the session as soon as it opens (3000 "Go away!"). They run
// on the same transports as the STOMP endpoints, and are only served with sockjs.test-services.
#pragma once

#include <deque>

#include "net/connection.hpp"

namespace aicc::net {

class EchoConnection final : public Connection {
 public:
  explicit EchoConnection(bool close_at_once) : close_at_once_(close_at_once) {}

  void start(ConnectionTransport& transport) override;
  void on_data(std::string_view bytes) override;
  void on_transport_closed(std::string_view reason) override;
  std::size_t take_output(std::vector<stomp::Outbound>& into, std::size_t max_bytes,
                          std::size_t max_items = static_cast<std::size_t>(-1)) override;
  bool has_output() const override { return !outbound_.empty(); }
  bool should_close() const override { return close_at_once_ && outbound_.empty(); }
  std::uint16_t close_code() const override { return 3000; }
  std::string_view close_reason() const override { return "Go away!"; }

 private:
  bool close_at_once_;                        // the `close` service
  ConnectionTransport* transport_ = nullptr;  // null once the transport has closed
  std::deque<std::string> outbound_;          // messages to send back, in order
  std::size_t outbound_bytes_ = 0;            // their size, bounded by kMaxOutboundBytes
};

}  // namespace aicc::net
