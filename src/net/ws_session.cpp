#include "net/ws_session.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>
#include <memory>
#include <vector>

#include "net/await_result.hpp"
#include "net/stomp_connection.hpp"
#include "sockjs/framing.hpp"

namespace aicc::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using Clock = std::chrono::steady_clock;

// Several queued frames go out as one WebSocket message, up to this size.
constexpr std::size_t kMaxWriteBytes = 64 * 1024;

// What the reader and writer coroutines of one WebSocket share.
struct WsState : ConnectionTransport {
  WsState(beast::tcp_stream stream, WsFraming framing)
      : ws(std::move(stream)), wakeup(ws.get_executor()), framing(framing) {}

  void wake() override { wakeup.cancel(); }
  void abort() override { beast::get_lowest_layer(ws).close(); }

  websocket::stream<beast::tcp_stream> ws;
  asio::steady_timer wakeup;  // the writer waits on it; wake() cancels the wait
  WsFraming framing;
  std::shared_ptr<Connection> connection;
  bool reader_done = false;
  bool writer_done = false;
};

// Drains the connection's output onto the WebSocket, until the connection closes or the socket
// fails. In SockJS framing it also sends the "h" heartbeat when nothing else was sent for a while.
asio::awaitable<void> write_loop(std::shared_ptr<WsState> state,
                                 std::chrono::milliseconds sockjs_heartbeat) {
  auto& connection = *state->connection;
  std::vector<stomp::Outbound> items;
  std::vector<asio::const_buffer> buffers;
  std::vector<std::string> messages;
  std::string frame;
  const bool sockjs = state->framing == WsFraming::kSockJs;
  auto idle_until = Clock::now() + sockjs_heartbeat;
  while (!state->reader_done) {
    beast::error_code error;
    if (!connection.has_output() && !connection.should_close()) {
      state->wakeup.expires_at(sockjs ? idle_until : Clock::time_point::max());
      auto [wait_error] = co_await state->wakeup.async_wait(kAwaitResult);
      if (!wait_error && sockjs && !state->reader_done) {
        frame = sockjs::heartbeat_frame();
        std::tie(error, std::ignore) =
            co_await state->ws.async_write(asio::buffer(frame), kAwaitResult);
        if (error) break;
        idle_until = Clock::now() + sockjs_heartbeat;
      }
      continue;
    }
    if (connection.has_output()) {
      items.clear();
      connection.take_output(items, kMaxWriteBytes);
      if (sockjs) {
        messages.clear();
        for (auto& item : items) {
          std::string text(item.head());
          if (item.shared()) text.append(*item.shared());
          messages.push_back(std::move(text));
        }
        frame.clear();
        sockjs::append_message_frame(frame, messages);
        std::tie(error, std::ignore) =
            co_await state->ws.async_write(asio::buffer(frame), kAwaitResult);
        idle_until = Clock::now() + sockjs_heartbeat;
      } else {
        buffers.clear();
        for (const auto& item : items) {
          buffers.push_back(asio::buffer(item.head().data(), item.head().size()));
          if (item.shared()) buffers.push_back(asio::buffer(*item.shared()));
        }
        std::tie(error, std::ignore) = co_await state->ws.async_write(buffers, kAwaitResult);
      }
      if (error) break;
      continue;
    }
    // should_close(): everything is written; end the WebSocket the polite way.
    if (sockjs) {
      frame = sockjs::close_frame(3000, "Go away!");
      co_await state->ws.async_write(asio::buffer(frame), kAwaitResult);
    }
    if (sockjs) {
      co_await state->ws.async_close(websocket::close_code::normal, kAwaitResult);
    } else {
      co_await state->ws.async_close(
          websocket::close_reason(static_cast<websocket::close_code>(connection.close_code()),
                                  connection.close_reason()),
          kAwaitResult);
    }
    break;
  }
  state->writer_done = true;
  // Unblocks a reader still waiting for the peer after a failed write.
  if (!state->reader_done) beast::get_lowest_layer(state->ws).cancel();
}

std::string describe_close(const beast::error_code& error) {
  if (error == websocket::error::closed) return "peer closed the WebSocket";
  if (error == asio::error::eof || error == asio::error::connection_reset)
    return "peer dropped the connection";
  if (error == asio::error::operation_aborted) return "closed by the server";
  if (error == beast::error::timeout) return "idle timeout";
  return error.message();
}

}  // namespace

std::string choose_stomp_subprotocol(std::string_view offered) {
  std::string best;
  int best_rank = 0;
  while (!offered.empty()) {
    const std::size_t comma = offered.find(',');
    std::string_view item = offered.substr(0, comma);
    offered = comma == std::string_view::npos ? std::string_view{} : offered.substr(comma + 1);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    const int rank = item == "v12.stomp"   ? 3
                     : item == "v11.stomp" ? 2
                     : item == "v10.stomp" ? 1
                                           : 0;
    if (rank > best_rank) {
      best_rank = rank;
      best = std::string(item);
    }
  }
  return best;
}

asio::awaitable<void> run_websocket(Services& services, beast::tcp_stream stream,
                                    http::request<http::string_body> request, WsFraming framing,
                                    std::string remote_address, HandshakeTicket handshake_ticket,
                                    Application application) {
  const config::Config& config = services.config;
  auto state = std::make_shared<WsState>(std::move(stream), framing);
  auto& ws = state->ws;
  beast::get_lowest_layer(ws).expires_never();  // the WebSocket's own timeouts take over

  // Peers that vanish without a FIN are found by WebSocket pings when STOMP heart-beats are off.
  websocket::stream_base::timeout timeouts =
      websocket::stream_base::timeout::suggested(beast::role_type::server);
  timeouts.handshake_timeout = std::chrono::seconds(10);
  timeouts.idle_timeout = std::chrono::seconds(60);
  timeouts.keep_alive_pings = true;
  ws.set_option(timeouts);
  websocket::permessage_deflate deflate;
  deflate.server_enable = config.ws.permessage_deflate;
  ws.set_option(deflate);
  // Room for several frames in one message; one over the STOMP limit is refused by the decoder
  // with an ERROR that says so, anything far larger by the WebSocket layer (close code 1009).
  ws.read_message_max(config.stomp.max_frame_bytes * 4 + 4096);
  ws.auto_fragment(false);

  const std::string subprotocol =
      framing == WsFraming::kRawStomp
          ? choose_stomp_subprotocol(request[http::field::sec_websocket_protocol])
          : std::string{};
  ws.set_option(
      websocket::stream_base::decorator([subprotocol](websocket::response_type& response) {
        response.set(http::field::server, "aicc-chat");
        if (!subprotocol.empty()) response.set(http::field::sec_websocket_protocol, subprotocol);
      }));

  auto [accept_error] = co_await ws.async_accept(request, kAwaitResult);
  if (accept_error) {
    spdlog::debug("websocket handshake failed remote={} error={}", remote_address,
                  accept_error.message());
    co_return;
  }
  ws.text(true);

  const Transport kind =
      framing == WsFraming::kRawStomp ? Transport::kWebSocket : Transport::kSockJsWebSocket;
  auto executor = co_await asio::this_coro::executor;
  state->connection = make_connection(application, services, executor, kind, remote_address,
                                      std::move(handshake_ticket));
  auto& connection = *state->connection;
  connection.start(*state);

  if (framing == WsFraming::kSockJs) {
    const std::string open = sockjs::open_frame();
    auto [open_error, n] = co_await ws.async_write(asio::buffer(open), kAwaitResult);
    if (open_error) {
      state->reader_done = true;
      connection.on_transport_closed(describe_close(open_error));
      co_return;
    }
  }
  asio::co_spawn(executor, write_loop(state, std::chrono::milliseconds(config.sockjs.heartbeat_ms)),
                 [](const std::exception_ptr& error) {
                   if (!error) return;
                   try {
                     std::rethrow_exception(error);
                   } catch (const std::exception& e) {
                     spdlog::error("websocket writer failed: {}", e.what());
                   }
                 });

  beast::flat_buffer buffer;
  beast::error_code error;
  const std::size_t max_sockjs_message = config.stomp.max_frame_bytes * 4 + 4096;
  while (true) {
    std::size_t bytes = 0;
    std::tie(error, bytes) = co_await ws.async_read(buffer, kAwaitResult);
    if (error) break;
    const auto data = buffer.cdata();
    const std::string_view text(static_cast<const char*>(data.data()), data.size());
    if (framing == WsFraming::kRawStomp) {
      connection.on_data(text);
    } else if (!text.empty()) {  // SockJS: empty messages are skipped
      auto messages = sockjs::parse_client_messages(text, max_sockjs_message);
      if (!messages) {
        // Broken SockJS framing is a transport fault: there is no STOMP frame to answer.
        connection.on_transport_closed(std::string("invalid SockJS message: ") +
                                       std::string(sockjs::describe(messages.error())));
        break;
      }
      for (const std::string& message : *messages) connection.on_data(message);
    }
    buffer.consume(bytes);
  }
  state->reader_done = true;
  state->wake();
  connection.on_transport_closed(describe_close(error));
}

}  // namespace aicc::net
