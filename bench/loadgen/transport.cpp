// Plain TCP: STOMP as a byte stream, as brokers speak it on port 61613. Also the TCP connect that
// every transport starts with.
#include "bench/loadgen/transport.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

namespace aicc::loadgen {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

class TcpTransport final : public Transport {
 public:
  explicit TcpTransport(const asio::any_io_executor& executor) : socket_(executor) {}

  asio::awaitable<std::string> open(const Endpoint& endpoint,
                                    std::optional<asio::ip::address> source) override {
    std::string error = co_await connect_socket(socket_, endpoint.address, source);
    co_return error;
  }

  asio::awaitable<std::string> write(const std::string& frame) override {
    auto [error, written] = co_await asio::async_write(socket_, asio::buffer(frame), kNoThrow);
    co_return error ? "write: " + error.message() : std::string();
  }

  asio::awaitable<bool> read(std::string& out, std::string& error_text) override {
    // No buffer kept between reads: thousands of idle connections would each hold one.
    const std::size_t had = out.size();
    out.resize(had + 8192);
    auto [error, read] =
        co_await socket_.async_read_some(asio::buffer(out.data() + had, 8192), kNoThrow);
    out.resize(had + read);
    if (error) {
      error_text = error == asio::error::eof ? "closed by the server" : "read: " + error.message();
      co_return false;
    }
    co_return true;
  }

  void close() override {
    boost::system::error_code ignored;
    socket_.close(ignored);
  }

 private:
  tcp::socket socket_;
};

}  // namespace

asio::awaitable<std::string> connect_socket(tcp::socket& socket, const tcp::endpoint& endpoint,
                                            std::optional<asio::ip::address> source) {
  boost::system::error_code error;
  if (source) {
    socket.open(endpoint.protocol(), error);
    if (!error) {
      // The port is then chosen at connect() for the whole 4-tuple, not at bind() for the address
      // alone, so each source address is not limited to one ephemeral range shared by all.
      int one = 1;
      ::setsockopt(socket.native_handle(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
      socket.bind(tcp::endpoint(*source, 0), error);
    }
    if (error) co_return "bind " + source->to_string() + ": " + error.message();
  }
  auto [connect_error] = co_await socket.async_connect(endpoint, kNoThrow);
  if (connect_error) co_return "connect: " + connect_error.message();
  // Small frames must not wait for Nagle: latencies are measured.
  socket.set_option(tcp::no_delay(true), error);
  co_return std::string();
}

std::unique_ptr<Transport> make_transport(TransportKind kind,
                                          const asio::any_io_executor& executor) {
  if (kind == TransportKind::kTcp) return std::make_unique<TcpTransport>(executor);
  return make_websocket_transport(executor, kind == TransportKind::kSockJs);
}

}  // namespace aicc::loadgen
