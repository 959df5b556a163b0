#include "http/tls_bridge.hpp"

#include <spdlog/spdlog.h>

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/local/connect_pair.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/write.hpp>

#include "http/request_id.hpp"
#include "http/response.hpp"

namespace aicc::http {
namespace {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using namespace asio::experimental::awaitable_operators;
constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);

constexpr auto kHandshakeTimeout = std::chrono::seconds(10);
// Once the session has said all it will, how long the client has to close its side.
constexpr auto kCloseTimeout = std::chrono::seconds(5);
constexpr std::uint8_t kTlsHandshakeRecord = 0x16;

struct Bridge {
  Bridge(tcp::socket socket, std::shared_ptr<ssl::context> tls)
      : context(std::move(tls)),
        outer(std::move(socket), *context),
        inner(outer.get_executor()),
        timer(outer.get_executor()) {}

  void close_after(std::chrono::steady_clock::duration delay) {
    timer.expires_after(delay);
    timer.async_wait([this](boost::system::error_code error) {
      if (error) return;  // cancelled: done in time
      boost::system::error_code ignored;
      outer.lowest_layer().close(ignored);
    });
  }

  std::shared_ptr<ssl::context> context;  // first: the connection's SSL object refers to it
  ssl::stream<tcp::socket> outer;
  asio::local::stream_protocol::socket inner;  // this end of the pair; the session has the other
  asio::steady_timer timer;
  std::array<char, 8 * 1024> from_client;
  std::array<char, 16 * 1024> to_client;
};

// Client to session. When the client is done (or gone), the session reads the end of its input.
asio::awaitable<void> pump_from_client(Bridge& bridge) {
  while (true) {
    auto [read_error, n] =
        co_await bridge.outer.async_read_some(asio::buffer(bridge.from_client), kAwait);
    if (read_error) break;
    auto [write_error, written] =
        co_await asio::async_write(bridge.inner, asio::buffer(bridge.from_client, n), kAwait);
    if (write_error) break;  // the session has ended
  }
  boost::system::error_code ignored;
  bridge.inner.shutdown(asio::socket_base::shutdown_send, ignored);
  bridge.timer.cancel();
}

// Session to client. When the session has said all, the client is told (TCP FIN) and given a
// moment to close its side, so the last answer is read before the connection goes.
asio::awaitable<void> pump_to_client(Bridge& bridge) {
  while (true) {
    auto [read_error, n] =
        co_await bridge.inner.async_read_some(asio::buffer(bridge.to_client), kAwait);
    if (read_error) break;
    auto [write_error, written] =
        co_await asio::async_write(bridge.outer, asio::buffer(bridge.to_client, n), kAwait);
    if (write_error) break;
  }
  boost::system::error_code ignored;
  bridge.outer.lowest_layer().shutdown(asio::socket_base::shutdown_send, ignored);
  bridge.close_after(kCloseTimeout);
}

// A browser sent plain HTTP to the TLS port: it can read an answer only in plain HTTP.
asio::awaitable<void> refuse_plain_http(tcp::socket& socket) {
  std::array<char, 16 * 1024> request;  // what has arrived is read, so closing does not reset
  boost::system::error_code ignored;
  socket.non_blocking(true, ignored);
  (void)socket.read_some(asio::buffer(request), ignored);
  socket.non_blocking(false, ignored);
  Request blank;
  blank.version(11);
  assign_request_id(blank);
  Response response =
      error_response(blank, bhttp::status::bad_request, "tls_required",
                     "this port speaks HTTPS only: use https:// (or wss:// for WebSockets)");
  response.keep_alive(false);
  co_await bhttp::async_write(socket, response, kAwait);
  socket.shutdown(asio::socket_base::shutdown_send, ignored);
}

}  // namespace

asio::awaitable<void> run_tls_connection(HttpContext& context, tcp::socket socket,
                                         std::shared_ptr<ssl::context> tls) {
  boost::system::error_code error;
  const auto endpoint = socket.remote_endpoint(error);
  PeerInfo peer{error ? std::string("unknown") : endpoint.address().to_string(), true};
  Bridge bridge(std::move(socket), std::move(tls));
  bridge.close_after(kHandshakeTimeout);

  // The first byte tells a TLS ClientHello from a plain request.
  tcp::socket& raw = bridge.outer.next_layer();
  auto [wait_error] = co_await raw.async_wait(tcp::socket::wait_read, kAwait);
  if (wait_error) co_return;
  std::uint8_t first = 0;
  if (raw.receive(asio::buffer(&first, 1), tcp::socket::message_peek, error) != 1 || error)
    co_return;
  if (first != kTlsHandshakeRecord) {
    context.services.metrics.error("tls_plain_request");
    co_await refuse_plain_http(raw);
    bridge.timer.cancel();
    co_return;
  }
  auto [handshake_error] = co_await bridge.outer.async_handshake(ssl::stream_base::server, kAwait);
  bridge.timer.cancel();
  if (handshake_error) {
    context.services.metrics.error("tls_handshake_failed");
    spdlog::debug("TLS handshake with {} failed: {}", peer.address, handshake_error.message());
    co_return;
  }

  asio::local::stream_protocol::socket session_end(bridge.outer.get_executor());
  asio::local::connect_pair(bridge.inner, session_end, error);
  if (error) {
    spdlog::warn("TLS connection from {} refused: no socket pair ({})", peer.address,
                 error.message());
    co_return;
  }
  // The session's code is written for TCP sockets; on a stream socket pair the calls it makes
  // (read, write, wait, shutdown) are the same system calls, and the peer's address comes in
  // `peer`.
  tcp::socket session_socket(bridge.outer.get_executor());
  session_socket.assign(tcp::v6(), session_end.release());
  asio::co_spawn(bridge.outer.get_executor(),
                 run_http_session(context, std::move(session_socket), std::move(peer)),
                 [](const std::exception_ptr& failure) {
                   if (!failure) return;
                   try {
                     std::rethrow_exception(failure);
                   } catch (const std::exception& e) {
                     spdlog::error("connection failed: {}", e.what());
                   }
                 });
  co_await (pump_from_client(bridge) && pump_to_client(bridge));
  bridge.timer.cancel();
}

}  // namespace aicc::http
