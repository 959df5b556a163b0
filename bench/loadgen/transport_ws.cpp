// STOMP over WebSocket: raw (subprotocol v12.stomp, one frame per text message) or SockJS's
// websocket transport (<base>/<server>/<session>/websocket; "o" opens, "h" is a heartbeat,
// a["..",..] carries frames, c[code,"reason"] closes; frames are sent as ["<frame>"]).
#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <random>

#include "bench/loadgen/transport.hpp"

namespace aicc::loadgen {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace json = boost::json;
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

// "/<3 digits>/<8 letters>/websocket" after the SockJS base.
std::string sockjs_suffix() {
  thread_local std::mt19937 random{std::random_device{}()};
  constexpr std::string_view kLetters = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string session;
  for (int i = 0; i < 8; ++i) session += kLetters[random() % kLetters.size()];
  return "/" + std::to_string(100 + random() % 900) + "/" + session + "/websocket";
}

class WsTransport final : public Transport {
 public:
  WsTransport(const asio::any_io_executor& executor, bool sockjs)
      : ws_(executor), sockjs_(sockjs) {}

  asio::awaitable<std::string> open(const Endpoint& endpoint,
                                    std::optional<asio::ip::address> source) override {
    std::string error =
        co_await connect_socket(beast::get_lowest_layer(ws_).socket(), endpoint.address, source);
    if (!error.empty()) co_return error;
    if (!sockjs_) {
      ws_.set_option(websocket::stream_base::decorator([](websocket::request_type& request) {
        request.set(beast::http::field::sec_websocket_protocol, "v12.stomp");
      }));
    }
    std::string path = endpoint.path;
    if (sockjs_) {
      while (path.size() > 1 && path.back() == '/') path.pop_back();
      path += sockjs_suffix();
    }
    auto [handshake_error] = co_await ws_.async_handshake(endpoint.host, path, kNoThrow);
    if (handshake_error) co_return "websocket handshake: " + handshake_error.message();
    ws_.text(true);
    if (!sockjs_) {
      // Raw STOMP: the server says nothing before CONNECTED, so Beast's handshake read nothing
      // past the 101 and reads can go straight to the socket from here (read_raw()).
      boost::system::error_code ignored;
      beast::get_lowest_layer(ws_).socket().non_blocking(true, ignored);
    }
    if (sockjs_) {
      auto [read_error, read] = co_await ws_.async_read(buffer_, kNoThrow);
      if (read_error) co_return "SockJS open: " + read_error.message();
      const std::string first = beast::buffers_to_string(buffer_.cdata());
      buffer_.consume(buffer_.size());
      if (first != "o")
        co_return "SockJS open: expected \"o\", got \"" + first.substr(0, 40) + "\"";
    }
    co_return std::string();
  }

  asio::awaitable<std::string> write(const std::string& frame) override {
    std::string wrapped;
    if (sockjs_) wrapped = json::serialize(json::array{json::string(frame)});
    auto [error, written] =
        co_await ws_.async_write(asio::buffer(sockjs_ ? wrapped : frame), kNoThrow);
    co_return error ? "write: " + error.message() : std::string();
  }

  asio::awaitable<bool> read(std::string& out, std::string& error_text) override {
    if (!sockjs_) co_return co_await read_raw(out, error_text);
    auto [error, read] = co_await ws_.async_read(buffer_, kNoThrow);
    if (error) {
      error_text = error == websocket::error::closed || error == asio::error::eof
                       ? "closed by the server"
                       : "read: " + error.message();
      co_return false;
    }
    const auto data = buffer_.cdata();
    const std::string_view message(static_cast<const char*>(data.data()), data.size());
    bool ok = true;
    if (!sockjs_) {
      out.append(message);
    } else {
      ok = unwrap(message, out, error_text);
    }
    buffer_.consume(buffer_.size());
    co_return ok;
  }

  void close() override { beast::get_lowest_layer(ws_).close(); }

 private:
  // The subscribers' hot path, without Beast's read: a read into the connection's small buffer
  // (tried at once, so data already there costs no readiness wait, and a pending one needs no
  // epoll_ctl as async_wait would), then non-blocking reads into one buffer per thread until the
  // socket is empty, and the server's unmasked frames parsed in place. Beast's per-message read,
  // with its UTF-8 check and composed operations, made the load generator the bottleneck before
  // the server under paced fan-out. Only an unfinished frame is kept per connection.
  asio::awaitable<bool> read_raw(std::string& out, std::string& error_text) {
    auto& socket = beast::get_lowest_layer(ws_).socket();
    if (!first_) first_ = std::make_unique<std::array<char, 4096>>();
    auto [error, n] = co_await socket.async_read_some(asio::buffer(*first_), kNoThrow);
    if (!error && !parse_frames(std::string_view(first_->data(), n), out, error_text))
      co_return false;
    // A full buffer: more is waiting, read at once into the thread's buffer.
    thread_local std::array<char, 256 * 1024> buffer;
    std::size_t room = first_->size();
    while (!error && n == room) {
      n = socket.read_some(asio::buffer(buffer), error);
      if (error == asio::error::would_block || error == asio::error::try_again) co_return true;
      if (!error && !parse_frames(std::string_view(buffer.data(), n), out, error_text))
        co_return false;
      room = buffer.size();
    }
    if (error) {
      error_text = error == asio::error::eof ? "closed by the server" : "read: " + error.message();
      co_return false;
    }
    co_return true;
  }

  // Appends the payloads of the complete text/continuation frames in pending_ + `bytes` to
  // `out`; keeps an unfinished frame. False on a close frame or a broken frame.
  bool parse_frames(std::string_view bytes, std::string& out, std::string& error_text) {
    std::string_view data = bytes;
    if (!pending_.empty()) {
      pending_.append(bytes);
      data = pending_;
    }
    std::size_t at = 0;
    while (data.size() - at >= 2) {
      const auto b0 = static_cast<unsigned char>(data[at]);
      const auto b1 = static_cast<unsigned char>(data[at + 1]);
      if (b1 & 0x80) {
        error_text = "masked frame from the server";
        return false;
      }
      std::size_t header = 2;
      std::uint64_t length = b1 & 0x7f;
      if (length == 126 || length == 127) {
        const std::size_t bytes_of_length = length == 126 ? 2 : 8;
        if (data.size() - at < 2 + bytes_of_length) break;
        length = 0;
        for (std::size_t i = 0; i < bytes_of_length; ++i)
          length = length << 8 | static_cast<unsigned char>(data[at + 2 + i]);
        header += bytes_of_length;
      }
      if (data.size() - at - header < length) break;
      const std::string_view payload = data.substr(at + header, length);
      const unsigned opcode = b0 & 0x0f;
      if (opcode == 0x8) {
        error_text = "closed by the server";
        return false;
      }
      if (opcode <= 0x2) out.append(payload);  // text, binary, continuation; pings need no pong
      at += header + length;
    }
    if (data.data() == pending_.data()) {
      pending_.erase(0, at);
    } else {
      pending_.assign(data.substr(at));
    }
    return true;
  }

  static bool unwrap(std::string_view message, std::string& out, std::string& error_text) {
    if (message == "h" || message == "o") return true;
    if (message.empty() || (message[0] != 'a' && message[0] != 'c')) {
      error_text = "unexpected SockJS frame";
      return false;
    }
    boost::system::error_code error;
    const json::value parsed = json::parse(message.substr(1), error);
    if (error || !parsed.is_array()) {
      error_text = "malformed SockJS frame";
      return false;
    }
    if (message[0] == 'c') {
      error_text = "SockJS close " + json::serialize(parsed);
      return false;
    }
    for (const json::value& item : parsed.as_array()) {
      if (const json::string* text = item.if_string()) out.append(text->data(), text->size());
    }
    return true;
  }

  websocket::stream<beast::tcp_stream> ws_;
  beast::flat_buffer buffer_;
  std::unique_ptr<std::array<char, 4096>> first_;  // raw reads land here first
  std::string pending_;  // raw reads: the start of a frame whose rest has not come yet
  bool sockjs_;
};

}  // namespace

std::unique_ptr<Transport> make_websocket_transport(const asio::any_io_executor& executor,
                                                    bool sockjs) {
  return std::make_unique<WsTransport>(executor, sockjs);
}

}  // namespace aicc::loadgen
