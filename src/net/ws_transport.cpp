#include "net/ws_transport.hpp"

#include <spdlog/spdlog.h>

#include <array>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>
#include <vector>

#include "net/flush_queue.hpp"
#include "net/socket_io.hpp"
#include "net/stomp_connection.hpp"
#include "net/ws_frame.hpp"
#include "sockjs/framing.hpp"

namespace aicc::net {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

// Reads per readiness event before others get their turn.
constexpr int kReadsPerWakeup = 4;
// While more than this waits for the socket, the peer is not read from: what it sends may add to
// the wait (a pong per ping, unbounded for a peer that sends pings and reads nothing), so TCP
// flow control slows it down instead. Room for the rest of one batch (kMaxWriteBytes) and then
// some.
constexpr std::size_t kMaxUnsentBytes = 2 * kMaxWriteBytes;
// A peer silent this long gets a ping; silent for another interval, it is dropped (a peer that
// vanished without a FIN, when STOMP heart-beats are off).
constexpr std::chrono::seconds kPingInterval{30};
// How long a close handshake may take once the server has sent its close frame.
constexpr std::chrono::seconds kCloseTimeout{5};

class WsTransport final : public ConnectionTransport,
                          public WsSink,
                          public Flushable,
                          public std::enable_shared_from_this<WsTransport> {
 public:
  WsTransport(Services& services, tcp::socket socket, WsFraming framing,
              std::atomic<std::size_t>* open_count, Application application)
      : services_(services),
        application_(application),
        socket_(std::move(socket)),
        timer_(socket_.get_executor()),
        flush_queue_(FlushQueue::of(socket_.get_executor())),
        reader_(services.config.stomp.max_frame_bytes * 4 + 4096),
        open_count_(open_count),
        framing_(framing) {
    if (open_count_ != nullptr) open_count_->fetch_add(1, std::memory_order_relaxed);
  }
  ~WsTransport() override {
    if (open_count_ != nullptr) open_count_->fetch_sub(1, std::memory_order_relaxed);
  }

  void start(std::string remote_address, HandshakeTicket ticket, std::string_view early_bytes) {
    boost::system::error_code ignored;
    socket_.non_blocking(true, ignored);
    socket_.set_option(tcp::no_delay(true), ignored);
    const Transport kind =
        framing_ == WsFraming::kRawStomp ? Transport::kWebSocket : Transport::kSockJsWebSocket;
    connection_ = make_connection(application_, services_, socket_.get_executor(), kind,
                                  std::move(remote_address), std::move(ticket));
    connection_->start(*this);
    if (framing_ == WsFraming::kSockJs) queue_text(sockjs::open_frame());
    if (!early_bytes.empty()) {
      auto& buffer = io_scratch().read;
      early_bytes = early_bytes.substr(0, buffer.size());  // the HTTP layer reads far less
      std::copy(early_bytes.begin(), early_bytes.end(), buffer.begin());
      received_ = true;
      if (!reader_.feed(buffer.data(), early_bytes.size(), *this)) return reader_stopped();
    }
    wake();
    arm_read();
    schedule_tick();
  }

  void wake() override {
    if (flush_queued_ || closed_) return;
    flush_queued_ = true;
    // Not written here: the thread's flush queue writes it in a later pass, with whatever else
    // arrives for this connection until then (see flush_queue.hpp).
    flush_queue_.enqueue(socket_.get_executor(), shared_from_this());
  }

  void flush_now() override {
    flush_queued_ = false;
    flush();
  }

  void abort() override { finish("closed by the server"); }

  bool on_message(std::string_view payload, bool /*text*/) override {
    if (close_sent_) return true;  // closing: what comes before the peer's close frame is dropped
    if (framing_ == WsFraming::kRawStomp) {
      connection_->on_data(payload);
    } else if (!payload.empty()) {  // SockJS: empty messages are skipped
      auto messages =
          sockjs::parse_client_messages(payload, services_.config.stomp.max_frame_bytes * 4 + 4096);
      if (!messages) {
        // Broken SockJS framing is a transport fault: there is no STOMP frame to answer.
        connection_->on_transport_closed(std::string("invalid SockJS message: ") +
                                         std::string(sockjs::describe(messages.error())));
        // Read on: the peer's close frame completes the handshake (closing TCP under data the
        // peer is still sending, its close answer included, would reset the connection).
        start_close(kCloseProtocolError, "invalid SockJS message");
        return true;
      }
      for (const std::string& message : *messages) connection_->on_data(message);
    }
    return !closed_;
  }

  bool on_ping(std::string_view payload) override {
    out_.append(control_frame(WsOpcode::kPong, payload));
    wake();
    return true;
  }

  bool on_close(std::uint16_t code, std::string_view /*reason*/) override {
    peer_closed_ = true;
    if (!close_sent_) {
      // Answer with the peer's code, as RFC 6455 section 5.5.1 suggests.
      out_.append(close_frame(code == 1005 ? kCloseNormal : code, {}));
      close_sent_ = true;
    }
    close_reason_ = "peer closed the WebSocket";
    return false;
  }

 private:
  void arm_read() {
    if (closed_ || peer_closed_) return;
    if (out_.size() > kMaxUnsentBytes) {
      reads_paused_ = true;  // write_pending() reads again once out_ is written
      return;
    }
    socket_.async_wait(
        tcp::socket::wait_read,
        [self = shared_from_this()](boost::system::error_code error) { self->on_readable(error); });
  }

  void on_readable(boost::system::error_code error) {
    if (closed_) return;
    if (error) return finish(describe_socket_error(error));
    auto& buffer = io_scratch().read;
    for (int round = 0; round < kReadsPerWakeup && out_.size() <= kMaxUnsentBytes; ++round) {
      const std::size_t n = socket_.read_some(asio::buffer(buffer), error);
      if (would_block(error)) break;
      if (error) return finish(describe_socket_error(error));
      received_ = true;
      if (!reader_.feed(buffer.data(), n, *this)) return reader_stopped();
      if (closed_) return;
      if (n < buffer.size()) break;
    }
    arm_read();
  }

  // The reader stopped: a close frame came, or the client broke the WebSocket protocol.
  void reader_stopped() {
    if (closed_) return;
    peer_closed_ = true;
    if (reader_.failed()) {
      lingering_ = true;  // no frame can be read any more: see linger()
      services_.metrics.error("websocket_protocol");
      const std::string why = "WebSocket protocol error: " + std::string(reader_.error());
      connection_->on_transport_closed(why);
      close_reason_ = why;
      if (!close_sent_) {
        out_.append(close_frame(reader_.error_code(), reader_.error()));
        close_sent_ = true;
      }
    } else {
      connection_->on_transport_closed(close_reason_.empty() ? "peer closed the WebSocket"
                                                             : close_reason_);
    }
    flush();  // writes the close frame, then closes the socket
    if (closed_) return;
    // The socket did not take it all: a peer that no longer reads gets the close timeout too.
    close_deadline_ = std::min(close_deadline_, Clock::now() + kCloseTimeout);
    schedule_tick();
  }

  // Sends our close frame; the peer's answer (or the close timeout) ends the connection.
  void start_close(std::uint16_t code, std::string_view reason) {
    if (close_sent_) return;
    close_sent_ = true;
    close_deadline_ = Clock::now() + kCloseTimeout;
    out_.append(close_frame(code, reason));
    schedule_tick();  // the close timeout now applies
    wake();
  }

  void queue_text(std::string_view payload) {
    char header[10];
    out_.append(header, write_frame_header(header, WsOpcode::kText, payload.size()));
    out_.append(payload);
  }

  void flush() {
    if (closed_ || write_waiting_) return;
    if (!write_pending()) return;
    while (!close_sent_ && connection_->has_output()) {
      if (!write_output()) return;
    }
    if (!close_sent_ && connection_->should_close()) {
      if (framing_ == WsFraming::kSockJs) {
        queue_text(sockjs::close_frame(3000, "Go away!"));
        start_close(kCloseNormal, {});
      } else {
        start_close(connection_->close_code(), connection_->close_reason());
      }
      if (!write_pending()) return;
    }
    // Our close frame is out after the peer's: the handshake is complete, the server closes TCP.
    if (peer_closed_ && out_.empty()) {
      if (lingering_) return linger();
      finish(close_reason_);
    }
  }

  // The peer broke the protocol, so its close frame cannot be told from the rest: once our close
  // frame is out, our side of TCP is shut and what the peer still sends is read and dropped until
  // it closes too (or the close timeout). Closing the socket at once would answer those bytes
  // with a reset, which can destroy our close frame, and its reason, before the peer reads it.
  void linger() {
    if (closed_ || drain_armed_) return;
    boost::system::error_code ignored;
    if (!shut_down_) {
      socket_.shutdown(tcp::socket::shutdown_send, ignored);
      shut_down_ = true;
    }
    drain_armed_ = true;
    socket_.async_wait(tcp::socket::wait_read,
                       [self = shared_from_this()](boost::system::error_code error) {
                         self->drain_armed_ = false;
                         if (self->closed_) return;
                         if (error) return self->finish(self->close_reason_);
                         auto& buffer = io_scratch().read;
                         for (int round = 0; round < kReadsPerWakeup; ++round) {
                           self->socket_.read_some(asio::buffer(buffer), error);
                           if (would_block(error)) break;
                           if (error) return self->finish(self->close_reason_);  // EOF: done
                         }
                         self->linger();
                       });
  }

  // Writes out_; false while some of it is still waiting for the socket.
  bool write_pending() {
    if (out_.empty()) return true;
    boost::system::error_code error;
    const KeptWrite result = write_kept(socket_, out_, error);
    if (result == KeptWrite::kFailed) {
      finish(describe_socket_error(error));
      return false;
    }
    if (result == KeptWrite::kWaiting) {
      arm_write();
      return false;
    }
    if (reads_paused_) {
      reads_paused_ = false;
      arm_read();
    }
    return true;
  }

  // Takes a batch of queued frames and writes it as one WebSocket message; false when the socket
  // did not take all of it (the rest is kept in out_) or failed.
  bool write_output() {
    IoScratch& s = io_scratch();
    s.items.clear();
    s.buffers.clear();
    connection_->take_output(s.items, kMaxWriteBytes, kMaxFramesPerWrite);
    char header[10];
    std::size_t payload = 0;
    if (framing_ == WsFraming::kSockJs) {
      s.messages.clear();
      for (auto& item : s.items) {
        std::string text(item.head());
        if (item.shared()) text.append(*item.shared());
        s.messages.push_back(std::move(text));
      }
      s.frame.clear();
      sockjs::append_message_frame(s.frame, s.messages);
      payload = s.frame.size();
      s.buffers.emplace_back(
          asio::buffer(header, write_frame_header(header, WsOpcode::kText, payload)));
      s.buffers.emplace_back(asio::buffer(s.frame));
    } else {
      for (const auto& item : s.items) payload += item.size();
      s.buffers.emplace_back(
          asio::buffer(header, write_frame_header(header, WsOpcode::kText, payload)));
      for (const auto& item : s.items) {
        s.buffers.emplace_back(asio::buffer(item.head().data(), item.head().size()));
        if (item.shared()) s.buffers.emplace_back(asio::buffer(*item.shared()));
      }
    }
    boost::system::error_code error;
    if (!write_now(socket_, s.buffers, out_, error)) {
      s.items.clear();
      finish(describe_socket_error(error));
      return false;
    }
    wrote_ = true;
    s.items.clear();  // releases the shared message parts
    if (!out_.empty()) {
      arm_write();
      return false;
    }
    return true;
  }

  void arm_write() {
    write_waiting_ = true;
    socket_.async_wait(tcp::socket::wait_write,
                       [self = shared_from_this()](boost::system::error_code error) {
                         self->write_waiting_ = false;
                         if (error) return self->finish(describe_socket_error(error));
                         self->flush();
                       });
  }

  void schedule_tick() {
    if (closed_) return;
    auto interval = std::chrono::duration_cast<Clock::duration>(kPingInterval);
    if (framing_ == WsFraming::kSockJs) {
      interval =
          std::min(interval, std::chrono::duration_cast<Clock::duration>(
                                 std::chrono::milliseconds(services_.config.sockjs.heartbeat_ms)));
    }
    if (close_sent_)
      interval = std::min(interval, std::chrono::duration_cast<Clock::duration>(kCloseTimeout));
    timer_.expires_after(interval);
    timer_.async_wait([self = shared_from_this()](boost::system::error_code error) {
      if (!error) self->on_tick();
    });
  }

  void on_tick() {
    if (closed_) return;
    if (close_sent_ && Clock::now() >= close_deadline_)
      return finish(close_reason_.empty() ? "closed by the server" : close_reason_);
    if (!received_ && !close_sent_) {
      if (ping_sent_) return finish("idle timeout");
      out_.append(control_frame(WsOpcode::kPing, {}));
      ping_sent_ = true;
    } else {
      ping_sent_ = false;
    }
    received_ = false;
    if (framing_ == WsFraming::kSockJs && !wrote_ && !close_sent_)
      queue_text(sockjs::heartbeat_frame());
    wrote_ = false;
    wake();
    schedule_tick();
  }

  void finish(std::string_view reason) {
    if (closed_) return;
    closed_ = true;
    boost::system::error_code ignored;
    timer_.cancel();
    socket_.close(ignored);
    std::string().swap(out_);
    connection_->on_transport_closed(reason);
  }

  Services& services_;
  Application application_;
  tcp::socket socket_;
  asio::steady_timer timer_;  // pings, SockJS heartbeats and the close timeout
  FlushQueue& flush_queue_;
  WsReader reader_;
  std::shared_ptr<Connection> connection_;
  std::atomic<std::size_t>* open_count_;
  std::string out_;  // bytes the socket has not taken yet; empty when idle
  std::string close_reason_;
  Clock::time_point close_deadline_ = Clock::time_point::max();
  WsFraming framing_;
  bool flush_queued_ = false;
  bool write_waiting_ = false;
  bool close_sent_ = false;
  bool peer_closed_ = false;  // its close frame came, or it broke the protocol: read no more
  bool closed_ = false;
  bool received_ = false;  // something was read since the last tick
  // Messages were written since the last tick. Only write_output() sets it: the heartbeat itself
  // (and the open frame, a pong, a ping) must not count, or an idle SockJS client would get "h"
  // only every other interval.
  bool wrote_ = false;
  bool ping_sent_ = false;
  bool reads_paused_ = false;  // out_ is over kMaxUnsentBytes: no read is armed until it is written
  bool lingering_ = false;     // the peer broke the protocol: linger() once our close frame is out
  bool shut_down_ = false;     // our side of TCP is shut (lingering)
  bool drain_armed_ = false;   // a lingering read is armed
};

}  // namespace

void serve_websocket(Services& services, tcp::socket socket, WsFraming framing,
                     std::string remote_address, HandshakeTicket handshake_ticket,
                     std::string_view early_bytes, std::atomic<std::size_t>* open_count,
                     Application application) {
  auto transport =
      std::make_shared<WsTransport>(services, std::move(socket), framing, open_count, application);
  transport->start(std::move(remote_address), std::move(handshake_ticket), early_bytes);
}

std::string websocket_upgrade_response(std::string_view client_key, std::string_view subprotocol) {
  const std::string accept = websocket_accept_key(client_key);
  if (accept.empty()) return {};
  std::string response =
      "HTTP/1.1 101 Switching Protocols\r\n"
      "Upgrade: websocket\r\n"
      "Connection: Upgrade\r\n"
      "Server: aicc-chat\r\n"
      "Sec-WebSocket-Accept: ";
  response.append(accept).append("\r\n");
  if (!subprotocol.empty())
    response.append("Sec-WebSocket-Protocol: ").append(subprotocol).append("\r\n");
  response.append("\r\n");
  return response;
}

}  // namespace aicc::net
