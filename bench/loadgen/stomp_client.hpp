// One STOMP client over any transport: CONNECT, then frames out through a write queue (one write
// at a time, in order) and frames in through next(). Heart-beats go out while connected. Runs on
// one single-threaded io_context, so nothing here locks.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "bench/loadgen/options.hpp"
#include "bench/loadgen/transport.hpp"
#include "stomp/decoder.hpp"
#include "stomp/frame.hpp"

namespace aicc::loadgen {

class StompClient;

// Every live client of a process, so that the end of a run can close them all at once.
struct ClientSet {
  std::unordered_set<StompClient*> live;
  void close_all();
};

class StompClient : public std::enable_shared_from_this<StompClient> {
 public:
  StompClient(const boost::asio::any_io_executor& executor, TransportKind transport,
              ClientSet& set);
  ~StompClient();
  StompClient(const StompClient&) = delete;
  StompClient& operator=(const StompClient&) = delete;

  // Opens the transport, sends `connect_frame` and waits for CONNECTED; then heart-beats every
  // `heartbeat_ms` (0: never). False on failure, with error() saying why (an ERROR frame's message
  // included).
  boost::asio::awaitable<bool> connect(const Endpoint& endpoint,
                                       std::optional<boost::asio::ip::address> source,
                                       std::string connect_frame, int heartbeat_ms);
  // The next frame from the server; nullopt once the connection has ended.
  boost::asio::awaitable<std::optional<stomp::Frame>> next();
  // From now on MESSAGE frames go to `handler` with their body as they are read, and next()
  // returns only the other frames. For subscribers that receive hundreds of thousands of
  // messages a second: a MESSAGE is found by its NUL and never decoded into a Frame, which kept
  // the load generator's core busier than the server's. Bodies must not contain NUL (JSON).
  void on_message(std::function<void(std::string_view body)> handler) {
    on_message_ = std::move(handler);
  }

  void send_raw(std::string frame);
  // `extra_headers`: more header lines, "name:value\n" each.
  void send(std::string_view destination, std::string_view json_body, std::string_view receipt = {},
            std::string_view extra_headers = {});
  void subscribe(std::string_view destination, std::string_view id, std::string_view receipt = {},
                 std::string_view extra_headers = {});
  // Bytes queued and not yet written; drained() resumes once none are left, the client closed, or
  // `deadline` passed.
  std::size_t queued_bytes() const { return queued_bytes_; }
  boost::asio::awaitable<void> drained(std::chrono::steady_clock::time_point deadline);

  void close();
  bool closed() const { return closed_; }
  const std::string& error() const { return error_; }

 private:
  static boost::asio::awaitable<void> write_loop(std::shared_ptr<StompClient> self);
  static boost::asio::awaitable<void> heartbeat_loop(std::shared_ptr<StompClient> self,
                                                     int every_ms);
  void fail(std::string why);
  // Feeds bytes from the server: MESSAGEs to on_message_ when set, the rest to the decoder.
  stomp::DecodeError take_bytes(std::string_view bytes);

  boost::asio::any_io_executor executor_;
  std::unique_ptr<Transport> transport_;
  ClientSet& set_;
  stomp::Decoder decoder_;
  std::vector<stomp::Frame> frames_;  // decoded, not yet taken by next()
  std::function<void(std::string_view)> on_message_;
  std::string unfinished_;  // with on_message_: the start of a frame whose NUL has not come
  std::size_t next_frame_ = 0;
  std::deque<std::string> queue_;  // frames waiting for the writer
  std::size_t queued_bytes_ = 0;
  bool writing_ = false;
  std::chrono::steady_clock::time_point
      last_write_;  // queued, in fact: close enough for heart-beats
  bool closed_ = false;
  std::string error_;
  boost::asio::steady_timer drained_signal_;
  boost::asio::steady_timer heartbeat_timer_;
};

// A CONNECT frame: STOMP 1.2 with these extra header lines ("name:value\n" each).
std::string connect_frame(std::string_view host, int heartbeat_ms, std::string_view extra_headers);

// Nanoseconds of the steady clock (CLOCK_MONOTONIC: comparable across processes on this host), as
// senders write them into messages.
std::int64_t now_ns();

}  // namespace aicc::loadgen
