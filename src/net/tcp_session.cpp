#include "net/tcp_session.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <array>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <chrono>
#include <memory>
#include <vector>

#include "net/await_result.hpp"
#include "net/flush_queue.hpp"
#include "net/socket_io.hpp"
#include "net/stomp_connection.hpp"
#include "stomp/encoder.hpp"

namespace aicc::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
using boost::system::error_code;

// After our FIN, the peer's remaining bytes are read and dropped for this long before the close:
// closing with unread input sends RST, which may destroy the ERROR frame on its way to the peer.
constexpr std::chrono::seconds kLinger{2};

// Heart-beats are the client's choice; one that chose none and vanished without a FIN would
// otherwise hold its connection until a write fails. Keep-alive probes find it in about 90 s.
void tune_socket(tcp::socket& socket) {
  error_code ignored;
  socket.non_blocking(true, ignored);
  socket.set_option(tcp::no_delay(true), ignored);
  socket.set_option(asio::socket_base::keep_alive(true), ignored);
  const int fd = socket.native_handle();
  const int idle = 60, interval = 10, count = 3;
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof count);
}

class TcpTransport final : public ConnectionTransport,
                           public Flushable,
                           public std::enable_shared_from_this<TcpTransport> {
 public:
  TcpTransport(tcp::socket socket, std::atomic<std::size_t>& open_count)
      : socket_(std::move(socket)),
        timer_(socket_.get_executor()),
        flush_queue_(FlushQueue::of(socket_.get_executor())),
        open_count_(open_count) {}
  ~TcpTransport() override { open_count_.fetch_sub(1, std::memory_order_relaxed); }

  void start(Services& services, std::string remote_address) {
    tune_socket(socket_);
    connection_ = std::make_shared<StompConnection>(services, socket_.get_executor(),
                                                    Transport::kTcp, std::move(remote_address));
    connection_->start(*this);
    arm_read();
  }

  void wake() override {
    if (flush_queued_ || closed_) return;
    flush_queued_ = true;
    // Written in a later pass of the thread's flush queue, with what else arrives until then.
    flush_queue_.enqueue(socket_.get_executor(), shared_from_this());
  }

  void flush_now() override {
    flush_queued_ = false;
    flush();
  }

  void abort() override { finish("closed by the server"); }

 private:
  void arm_read() {
    if (closed_) return;
    socket_.async_wait(tcp::socket::wait_read,
                       [self = shared_from_this()](error_code error) { self->on_readable(error); });
  }

  void on_readable(error_code error) {
    if (closed_) return;
    if (error) return finish(describe_socket_error(error));
    auto& buffer = io_scratch().read;
    const std::size_t n = socket_.read_some(asio::buffer(buffer), error);
    if (would_block(error)) return arm_read();
    if (error) return finish(describe_socket_error(error));
    connection_->on_data(std::string_view(buffer.data(), n));
    if (closed_) return;
    if (n < buffer.size()) return arm_read();  // drained: the reactor reports new data from here
    // More may be waiting; the flush this read caused and the other connections go first.
    asio::post(socket_.get_executor(), [self = shared_from_this()] { self->on_readable({}); });
  }

  void flush() {
    if (closed_ || write_waiting_ || half_closed_) return;
    if (!write_pending()) return;
    while (connection_->has_output()) {
      if (!write_output()) return;
    }
    if (connection_->should_close()) half_close();
  }

  // Writes out_; false while some of it is still waiting for the socket.
  bool write_pending() {
    error_code error;
    const KeptWrite result = write_kept(socket_, out_, error);
    if (result == KeptWrite::kFailed) {
      finish(describe_socket_error(error));
      return false;
    }
    if (result == KeptWrite::kWaiting) {
      arm_write();
      return false;
    }
    return true;
  }

  // Writes a batch of queued frames; false when the socket did not take all of it (the rest is
  // kept in out_) or failed.
  bool write_output() {
    IoScratch& s = io_scratch();
    s.items.clear();
    s.buffers.clear();
    connection_->take_output(s.items, kMaxWriteBytes, kMaxFramesPerWrite);
    for (const auto& item : s.items) {
      s.buffers.push_back(asio::buffer(item.head().data(), item.head().size()));
      if (item.shared()) s.buffers.push_back(asio::buffer(*item.shared()));
    }
    error_code error;
    if (!write_now(socket_, s.buffers, out_, error)) {
      s.items.clear();
      finish(describe_socket_error(error));
      return false;
    }
    s.items.clear();  // releases the shared message parts
    if (!out_.empty()) {
      arm_write();
      return false;
    }
    return true;
  }

  void arm_write() {
    write_waiting_ = true;
    socket_.async_wait(tcp::socket::wait_write, [self = shared_from_this()](error_code error) {
      self->write_waiting_ = false;
      if (error) return self->finish(describe_socket_error(error));
      self->flush();
    });
  }

  // Everything is written: FIN, then the reader waits for the peer's (see kLinger).
  void half_close() {
    half_closed_ = true;
    error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_send, ignored);
    timer_.expires_after(kLinger);
    timer_.async_wait([self = shared_from_this()](error_code error) {
      if (!error) self->finish("closed by the server");
    });
  }

  void finish(std::string_view reason) {
    if (closed_) return;
    closed_ = true;
    error_code ignored;
    timer_.cancel();
    socket_.close(ignored);
    std::string().swap(out_);
    connection_->on_transport_closed(reason);
  }

  tcp::socket socket_;
  asio::steady_timer timer_;  // the linger after our FIN
  FlushQueue& flush_queue_;
  std::atomic<std::size_t>& open_count_;
  std::shared_ptr<StompConnection> connection_;
  std::string out_;  // bytes the socket has not taken yet; empty when idle
  bool flush_queued_ = false;
  bool write_waiting_ = false;
  bool half_closed_ = false;  // our FIN is sent; only reading to the peer's FIN is left
  bool closed_ = false;
};

}  // namespace

void serve_tcp_stomp(Services& services, tcp::socket socket, std::string remote_address,
                     std::atomic<std::size_t>& open_count) {
  auto transport = std::make_shared<TcpTransport>(std::move(socket), open_count);
  transport->start(services, std::move(remote_address));
}

asio::awaitable<void> refuse_tcp_stomp(tcp::socket socket, std::string message) {
  stomp::Frame frame;
  frame.command = stomp::Command::kError;
  frame.add("message", message);
  frame.add("content-type", "text/plain");
  frame.body = message;
  const std::string bytes = stomp::encode(frame, stomp::Version::k10);

  beast::tcp_stream stream(std::move(socket));
  stream.expires_after(kLinger);
  auto [write_error, written] =
      co_await asio::async_write(stream, asio::buffer(bytes), kAwaitResult);
  if (write_error) co_return;
  error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  // Same reason as kLinger: read to the peer's FIN (or the timeout) before closing.
  std::array<char, 512> sink;
  while (true) {
    auto [read_error, n] = co_await stream.async_read_some(asio::buffer(sink), kAwaitResult);
    if (read_error) break;
  }
}

}  // namespace aicc::net
