#include "net/echo_connection.hpp"

#include "net/stomp_connection.hpp"

namespace aicc::net {
namespace {

// A client that sends and never reads is cut off here rather than growing the queue.
constexpr std::size_t kMaxOutboundBytes = 4 << 20;

}  // namespace

void EchoConnection::start(ConnectionTransport& transport) {
  transport_ = &transport;
  if (close_at_once_) transport.wake();
}

void EchoConnection::on_data(std::string_view bytes) {
  if (transport_ == nullptr || close_at_once_) return;
  if (outbound_bytes_ + bytes.size() > kMaxOutboundBytes) {
    transport_->abort();
    return;
  }
  outbound_bytes_ += bytes.size();
  outbound_.emplace_back(bytes);
  transport_->wake();
}

void EchoConnection::on_transport_closed(std::string_view /*reason*/) {
  transport_ = nullptr;
  outbound_.clear();
  outbound_bytes_ = 0;
}

std::size_t EchoConnection::take_output(std::vector<stomp::Outbound>& into, std::size_t max_bytes,
                                        std::size_t max_items) {
  std::size_t taken = 0;
  std::size_t items = 0;
  while (!outbound_.empty() && items < max_items &&
         (items == 0 || taken + outbound_.front().size() <= max_bytes)) {
    taken += outbound_.front().size();
    outbound_bytes_ -= outbound_.front().size();
    into.emplace_back(std::move(outbound_.front()), nullptr);
    outbound_.pop_front();
    ++items;
  }
  return taken;
}

std::shared_ptr<Connection> make_connection(Application application, Services& services,
                                            boost::asio::any_io_executor executor, Transport kind,
                                            std::string remote_address,
                                            HandshakeTicket handshake_ticket) {
  switch (application) {
    case Application::kEcho:
      return std::make_shared<EchoConnection>(false);
    case Application::kClose:
      return std::make_shared<EchoConnection>(true);
    case Application::kStomp:
      break;
  }
  return std::make_shared<StompConnection>(services, std::move(executor), kind,
                                           std::move(remote_address), std::move(handshake_ticket));
}

}  // namespace aicc::net
