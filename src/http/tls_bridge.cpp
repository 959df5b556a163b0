#include "http/tls_bridge.hpp"

#include <spdlog/spdlog.h>

#include <array>
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
#include "net/await_result.hpp"

namespace aicc::http {
namespace {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using namespace asio::experimental::awaitable_operators;

constexpr auto kTlsHandshakeTimeout = std::chrono::seconds(10);
// Once the session has said all it will, how long the client has to close its side.
constexpr auto kTlsCloseTimeout = std::chrono::seconds(5);
// A client that takes nothing of what is written to it for this long is gone (a plain connection
// meets the same bound in the session's own writes).
constexpr auto kTlsWriteTimeout = std::chrono::seconds(30);
// After refusing a plain request, how long what the client still sends is read and dropped.
constexpr auto kTlsLingerTimeout = std::chrono::seconds(2);
constexpr std::uint8_t kTlsHandshakeRecord = 0x16;

// Shared by the two directions and the timers: a timer's handler may already be queued when its
// wait is cancelled, so it holds the bridge rather than point into a finished coroutine's frame.
struct TlsBridge : std::enable_shared_from_this<TlsBridge> {
  TlsBridge(tcp::socket socket, std::shared_ptr<ssl::context> tls)
      : context(std::move(tls)),
        outer(std::move(socket), *context),
        inner(outer.get_executor()),
        deadline(outer.get_executor()),
        write_deadline(outer.get_executor()) {}

  // Closes the client's socket when `timer` runs out before it is cancelled or set again.
  void close_after(asio::steady_timer& timer, std::chrono::steady_clock::duration delay) {
    timer.expires_after(delay);
    timer.async_wait([self = shared_from_this()](boost::system::error_code error) {
      if (error) return;  // cancelled: done in time
      boost::system::error_code ignored;
      self->outer.lowest_layer().close(ignored);
    });
  }

  std::shared_ptr<ssl::context> context;  // first: the connection's SSL object refers to it
  ssl::stream<tcp::socket> outer;
  asio::local::stream_protocol::socket inner;  // this end of the pair; the session has the other
  asio::steady_timer deadline;                 // the handshake, then the closing
  asio::steady_timer write_deadline;           // each write to the client
  std::array<char, 8 * 1024> from_client;
  std::array<char, 16 * 1024> to_client;
};

// Client to session. When the client is done (or gone), the session reads the end of its input.
asio::awaitable<void> pump_from_client(std::shared_ptr<TlsBridge> bridge) {
  while (true) {
    auto [read_error, n] = co_await bridge->outer.async_read_some(asio::buffer(bridge->from_client),
                                                                  net::kAwaitResult);
    if (read_error) break;
    auto [write_error, written] = co_await asio::async_write(
        bridge->inner, asio::buffer(bridge->from_client, n), net::kAwaitResult);
    if (write_error) break;  // the session has ended
  }
  boost::system::error_code ignored;
  bridge->inner.shutdown(asio::socket_base::shutdown_send, ignored);
  bridge->deadline.cancel();
}

// Session to client. Each write has kTlsWriteTimeout (a client that stopped reading is dropped, as
// the session would drop it over plain TCP). When the session has said all, the client is told
// (TCP FIN) and given a moment to close its side, so the last answer is read before the
// connection goes.
asio::awaitable<void> pump_to_client(std::shared_ptr<TlsBridge> bridge) {
  while (true) {
    auto [read_error, n] =
        co_await bridge->inner.async_read_some(asio::buffer(bridge->to_client), net::kAwaitResult);
    if (read_error) break;
    bridge->close_after(bridge->write_deadline, kTlsWriteTimeout);
    auto [write_error, written] = co_await asio::async_write(
        bridge->outer, asio::buffer(bridge->to_client, n), net::kAwaitResult);
    bridge->write_deadline.cancel();
    if (write_error) break;
  }
  boost::system::error_code ignored;
  bridge->outer.lowest_layer().shutdown(asio::socket_base::shutdown_send, ignored);
  bridge->close_after(bridge->deadline, kTlsCloseTimeout);
}

// A browser sent plain HTTP to the TLS port: it can read an answer only in plain HTTP. What it
// sent is read and dropped for a moment after the answer, so closing does not reset the
// connection before the answer is read.
asio::awaitable<void> refuse_plain_http(std::shared_ptr<TlsBridge> bridge) {
  tcp::socket& socket = bridge->outer.next_layer();
  Request blank;
  blank.version(11);
  assign_request_id(blank);
  Response response =
      error_response(blank, bhttp::status::bad_request, "tls_required",
                     "this port speaks HTTPS only: use https:// (or wss:// for WebSockets)");
  response.keep_alive(false);
  co_await bhttp::async_write(socket, response, net::kAwaitResult);
  boost::system::error_code ignored;
  socket.shutdown(asio::socket_base::shutdown_send, ignored);
  bridge->close_after(bridge->deadline, kTlsLingerTimeout);
  while (true) {
    auto [error, n] =
        co_await socket.async_read_some(asio::buffer(bridge->to_client), net::kAwaitResult);
    if (error) break;
  }
  bridge->deadline.cancel();
}

}  // namespace

asio::awaitable<void> run_tls_connection(HttpContext& context, tcp::socket socket,
                                         std::shared_ptr<ssl::context> tls) {
  boost::system::error_code error;
  const auto endpoint = socket.remote_endpoint(error);
  PeerInfo peer{error ? std::string("unknown") : endpoint.address().to_string(), true};
  auto bridge = std::make_shared<TlsBridge>(std::move(socket), std::move(tls));
  // However this ends, no timer outlives it holding the connection open.
  struct CancelTlsTimers {
    TlsBridge& bridge;
    ~CancelTlsTimers() {
      bridge.deadline.cancel();
      bridge.write_deadline.cancel();
    }
  } cancel_timers{*bridge};
  bridge->close_after(bridge->deadline, kTlsHandshakeTimeout);

  // The first byte tells a TLS ClientHello from a plain request.
  tcp::socket& raw = bridge->outer.next_layer();
  auto [wait_error] = co_await raw.async_wait(tcp::socket::wait_read, net::kAwaitResult);
  if (wait_error) co_return;
  std::uint8_t first = 0;
  if (raw.receive(asio::buffer(&first, 1), tcp::socket::message_peek, error) != 1 || error)
    co_return;
  if (first != kTlsHandshakeRecord) {
    context.services.metrics.error("tls_plain_request");
    co_await refuse_plain_http(bridge);
    co_return;
  }
  auto [handshake_error] =
      co_await bridge->outer.async_handshake(ssl::stream_base::server, net::kAwaitResult);
  bridge->deadline.cancel();
  if (handshake_error) {
    context.services.metrics.error("tls_handshake_failed");
    spdlog::debug("TLS handshake with {} failed: {}", peer.address, handshake_error.message());
    co_return;
  }

  asio::local::stream_protocol::socket session_end(bridge->outer.get_executor());
  asio::local::connect_pair(bridge->inner, session_end, error);
  if (error) {
    spdlog::warn("TLS connection from {} refused: no socket pair ({})", peer.address,
                 error.message());
    co_return;
  }
  // The session's code is written for TCP sockets; on a stream socket pair the calls it makes
  // (read, write, wait, shutdown) are the same system calls, and the peer's address comes in
  // `peer`.
  tcp::socket session_socket(bridge->outer.get_executor());
  session_socket.assign(tcp::v6(), session_end.release());
  asio::co_spawn(bridge->outer.get_executor(),
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
}

}  // namespace aicc::http
