#include "bench/loadgen/client.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/stream.hpp>

#include <charconv>

#include "stomp/decoder.hpp"

namespace aicc::loadgen {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using namespace asio::experimental::awaitable_operators;
using Socket = websocket::stream<beast::tcp_stream>;

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

std::string connect_frame(const std::string& token, int heartbeat_ms) {
  const std::string hb = std::to_string(heartbeat_ms);
  return "CONNECT\naccept-version:1.2\nhost:localhost\nheart-beat:" + hb + "," + hb +
         "\nAuthorization:Bearer " + token + "\n\n" + std::string(1, '\0');
}

void fail(Shared& shared, std::string what) {
  ++shared.failed;
  if (shared.first_error.empty()) shared.first_error = std::move(what);
}

// TCP connect (from the source address, when given) and the WebSocket handshake with the STOMP
// subprotocol. Null on failure (counted).
asio::awaitable<std::unique_ptr<Socket>> open(const Target& target, Shared& shared) {
  auto executor = co_await asio::this_coro::executor;
  tcp::socket socket(executor);
  beast::error_code error;
  if (target.source) {
    socket.open(target.endpoint.protocol(), error);
    if (!error) socket.bind(tcp::endpoint(*target.source, 0), error);
    if (error) {
      fail(shared, "bind " + target.source->to_string() + ": " + error.message());
      co_return nullptr;
    }
  }
  auto [connect_error] = co_await socket.async_connect(target.endpoint, kNoThrow);
  if (connect_error) {
    fail(shared, "connect: " + connect_error.message());
    co_return nullptr;
  }
  auto ws = std::make_unique<Socket>(std::move(socket));
  ws->set_option(websocket::stream_base::decorator([](websocket::request_type& request) {
    request.set(beast::http::field::sec_websocket_protocol, "v12.stomp");
  }));
  auto [handshake_error] = co_await ws->async_handshake(target.host, target.path, kNoThrow);
  if (handshake_error) {
    fail(shared, "websocket handshake: " + handshake_error.message());
    co_return nullptr;
  }
  ws->text(true);
  co_return ws;
}

// The send time a publisher put in a lobby message: {"sender":…,"content":"<ns>",…}.
std::optional<std::int64_t> sent_at(const std::string& body) {
  constexpr std::string_view kKey = "\"content\":\"";
  const std::size_t at = body.find(kKey);
  if (at == std::string::npos) return std::nullopt;
  const char* first = body.data() + at + kKey.size();
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(first, body.data() + body.size(), value);
  if (error != std::errc{}) return std::nullopt;
  return value;
}

asio::awaitable<void> heartbeats(Socket& ws, int every_ms) {
  if (every_ms <= 0) co_return;
  asio::steady_timer timer(co_await asio::this_coro::executor);
  for (;;) {
    timer.expires_after(std::chrono::milliseconds(every_ms));
    auto [wait_error] = co_await timer.async_wait(kNoThrow);
    if (wait_error) co_return;
    auto [write_error, written] = co_await ws.async_write(asio::buffer("\n", 1), kNoThrow);
    if (write_error) co_return;
  }
}

asio::awaitable<void> read_frames(Socket& ws, const ClientOptions& options, Shared& shared,
                                  std::function<void()>& on_ready) {
  stomp::Decoder decoder;
  beast::flat_buffer buffer;
  std::vector<stomp::Frame> frames;
  bool connected = false;
  for (;;) {
    auto [read_error, read] = co_await ws.async_read(buffer, kNoThrow);
    if (read_error) {
      if (!shared.stop) fail(shared, "read: " + read_error.message());
      co_return;
    }
    const auto data = buffer.cdata();
    frames.clear();
    if (decoder.feed(std::string_view(static_cast<const char*>(data.data()), data.size()), frames) !=
        stomp::DecodeError::kNone) {
      fail(shared, "malformed frame from the server");
      co_return;
    }
    buffer.consume(buffer.size());
    for (const stomp::Frame& frame : frames) {
      switch (frame.command) {
        case stomp::Command::kConnected:
          connected = true;
          ++shared.connected;
          if (options.subscribe.empty()) {
            on_ready();
          } else {
            const std::string subscribe = "SUBSCRIBE\nid:0\ndestination:" + options.subscribe +
                                          "\nreceipt:sub\n\n" + std::string(1, '\0');
            auto [write_error, written] = co_await ws.async_write(asio::buffer(subscribe), kNoThrow);
            if (write_error) {
              fail(shared, "subscribe: " + write_error.message());
              co_return;
            }
          }
          break;
        case stomp::Command::kReceipt:
          ++shared.subscribed;
          on_ready();
          break;
        case stomp::Command::kMessage:
          ++shared.messages;
          if (options.record_latency) {
            if (auto sent = sent_at(frame.body)) shared.latencies_ns.push_back(now_ns() - *sent);
          }
          break;
        case stomp::Command::kError: {
          const std::string* message = frame.find("message");
          fail(shared, "ERROR from the server: " + (message ? *message : std::string("(no message)")));
          co_return;
        }
        default:
          break;
      }
    }
    (void)connected;
  }
}

}  // namespace

asio::awaitable<void> run_client(Target target, ClientOptions options, Shared& shared,
                                 std::function<void()> on_ready) {
  std::unique_ptr<Socket> ws = co_await open(target, shared);
  if (!ws) co_return;
  const std::string connect = connect_frame(options.token, options.heartbeat_ms);
  auto [write_error, written] = co_await ws->async_write(asio::buffer(connect), kNoThrow);
  if (write_error) {
    fail(shared, "CONNECT: " + write_error.message());
    co_return;
  }
  // Reading ends the client (stop, failure); the heart-beat writer goes with it.
  co_await (read_frames(*ws, options, shared, on_ready) || heartbeats(*ws, options.heartbeat_ms));
}

asio::awaitable<void> run_publisher(Target target, std::string token, std::uint64_t count, double rate,
                                    Shared& shared) {
  std::unique_ptr<Socket> ws = co_await open(target, shared);
  if (!ws) co_return;
  const std::string connect = connect_frame(token, 0);
  auto [write_error, written] = co_await ws->async_write(asio::buffer(connect), kNoThrow);
  beast::flat_buffer buffer;
  auto [read_error, read] = co_await ws->async_read(buffer, kNoThrow);
  if (write_error || read_error) {
    fail(shared, "publisher CONNECT failed");
    co_return;
  }
  asio::steady_timer pace(co_await asio::this_coro::executor);
  const auto start = std::chrono::steady_clock::now();
  std::string frame;
  for (std::uint64_t i = 0; i < count && !shared.stop; ++i) {
    if (rate > 0) {
      pace.expires_at(start + std::chrono::nanoseconds(static_cast<std::int64_t>(1e9 * static_cast<double>(i) / rate)));
      co_await pace.async_wait(kNoThrow);
    }
    const std::string body = "{\"content\":\"" + std::to_string(now_ns()) + "\"}";
    frame = "SEND\ndestination:/app/chat.send\ncontent-type:application/json\ncontent-length:" +
            std::to_string(body.size()) + "\n\n" + body + std::string(1, '\0');
    auto [send_error, sent] = co_await ws->async_write(asio::buffer(frame), kNoThrow);
    if (send_error) {
      fail(shared, "publish: " + send_error.message());
      co_return;
    }
  }
}

}  // namespace aicc::loadgen
