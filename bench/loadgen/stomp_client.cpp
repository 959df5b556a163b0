#include "bench/loadgen/stomp_client.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>

namespace aicc::loadgen {
namespace {

namespace asio = boost::asio;
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

stomp::DecoderLimits client_limits() {
  stomp::DecoderLimits limits;
  limits.max_frame_bytes =
      4 * 1024 * 1024;  // an agent's assignment carries the conversation so far
  return limits;
}

}  // namespace

void ClientSet::close_all() {
  const std::vector<StompClient*> clients(live.begin(), live.end());
  for (StompClient* client : clients) client->close();
}

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string connect_frame(std::string_view host, int heartbeat_ms, std::string_view extra_headers) {
  const std::string hb = std::to_string(heartbeat_ms);
  std::string frame = "CONNECT\naccept-version:1.2\nhost:";
  frame.append(host).append("\nheart-beat:").append(hb).append(",").append(hb).append("\n");
  frame.append(extra_headers).append("\n");
  frame.push_back('\0');
  return frame;
}

StompClient::StompClient(const asio::any_io_executor& executor, TransportKind transport,
                         ClientSet& set)
    : executor_(executor),
      transport_(make_transport(transport, executor)),
      set_(set),
      decoder_(client_limits()),
      drained_signal_(executor),
      heartbeat_timer_(executor) {
  set_.live.insert(this);
}

StompClient::~StompClient() { set_.live.erase(this); }

void StompClient::fail(std::string why) {
  if (error_.empty() && !closed_) error_ = std::move(why);
}

void StompClient::close() {
  closed_ = true;
  transport_->close();
  heartbeat_timer_.cancel();
  drained_signal_.cancel();
}

asio::awaitable<bool> StompClient::connect(const Endpoint& endpoint,
                                           std::optional<asio::ip::address> source,
                                           std::string connect, int heartbeat_ms) {
  std::string error = co_await transport_->open(endpoint, source);
  if (!error.empty()) {
    fail(std::move(error));
    close();
    co_return false;
  }
  if (closed_) co_return false;  // closed while opening: the run is over
  send_raw(std::move(connect));
  std::optional<stomp::Frame> frame = co_await next();
  if (!frame) {
    fail("no CONNECTED");
    co_return false;
  }
  if (frame->command != stomp::Command::kConnected) {
    const std::string* message = frame->find("message");
    fail(frame->command == stomp::Command::kError
             ? "ERROR from the server: " + (message ? *message : std::string("(no message)"))
             : "expected CONNECTED");
    close();
    co_return false;
  }
  if (heartbeat_ms > 0)
    asio::co_spawn(executor_, heartbeat_loop(shared_from_this(), heartbeat_ms), asio::detached);
  co_return true;
}

asio::awaitable<std::optional<stomp::Frame>> StompClient::next() {
  for (;;) {
    if (next_frame_ < frames_.size()) {
      stomp::Frame frame = std::move(frames_[next_frame_++]);
      if (next_frame_ == frames_.size()) {
        frames_.clear();
        next_frame_ = 0;
      }
      co_return frame;
    }
    if (closed_) co_return std::nullopt;
    std::string bytes;
    std::string why;
    const bool open = co_await transport_->read(bytes, why);
    if (!bytes.empty()) {
      const stomp::DecodeError error = take_bytes(bytes);
      if (error != stomp::DecodeError::kNone) {
        fail("malformed frame from the server: " + std::string(stomp::describe(error)));
        close();
      }
    }
    if (!open) {
      fail(why);
      close();
    }
  }
}

stomp::DecodeError StompClient::take_bytes(std::string_view bytes) {
  if (!on_message_) return decoder_.feed(bytes, frames_);
  std::string_view data = bytes;
  if (!unfinished_.empty()) {
    unfinished_.append(bytes);
    data = unfinished_;
  }
  std::size_t at = 0;
  for (;;) {
    while (at < data.size() && (data[at] == '\n' || data[at] == '\r')) ++at;  // heart-beats
    const std::size_t end = data.find('\0', at);
    if (end == std::string_view::npos) break;
    const std::string_view frame = data.substr(at, end - at);
    at = end + 1;
    if (frame.starts_with("MESSAGE\n")) {
      const std::size_t blank = frame.find("\n\n");
      on_message_(blank == std::string_view::npos ? std::string_view() : frame.substr(blank + 2));
      continue;
    }
    const std::string_view whole(frame.data(), frame.size() + 1);  // with its NUL
    if (const stomp::DecodeError error = decoder_.feed(whole, frames_);
        error != stomp::DecodeError::kNone)
      return error;
  }
  std::string rest(data.substr(at));
  unfinished_ = std::move(rest);
  return stomp::DecodeError::kNone;
}

void StompClient::send_raw(std::string frame) {
  if (closed_) return;
  queued_bytes_ += frame.size();
  queue_.push_back(std::move(frame));
  last_write_ = std::chrono::steady_clock::now();
  if (!writing_) {
    writing_ = true;
    asio::co_spawn(executor_, write_loop(shared_from_this()), asio::detached);
  }
}

void StompClient::send(std::string_view destination, std::string_view json_body,
                       std::string_view receipt, std::string_view extra_headers) {
  std::string frame = "SEND\ndestination:";
  frame.append(destination).append("\ncontent-type:application/json\ncontent-length:");
  frame.append(std::to_string(json_body.size())).append("\n");
  if (!receipt.empty()) frame.append("receipt:").append(receipt).append("\n");
  frame.append(extra_headers);
  frame.append("\n").append(json_body);
  frame.push_back('\0');
  send_raw(std::move(frame));
}

void StompClient::subscribe(std::string_view destination, std::string_view id,
                            std::string_view receipt, std::string_view extra_headers) {
  std::string frame = "SUBSCRIBE\nid:";
  frame.append(id).append("\ndestination:").append(destination).append("\n");
  if (!receipt.empty()) frame.append("receipt:").append(receipt).append("\n");
  frame.append(extra_headers);
  frame.append("\n");
  frame.push_back('\0');
  send_raw(std::move(frame));
}

asio::awaitable<void> StompClient::drained(std::chrono::steady_clock::time_point deadline) {
  while (writing_ && !closed_ && std::chrono::steady_clock::now() < deadline) {
    drained_signal_.expires_at(deadline);
    co_await drained_signal_.async_wait(kNoThrow);
  }
}

asio::awaitable<void> StompClient::write_loop(std::shared_ptr<StompClient> self) {
  while (!self->queue_.empty() && !self->closed_) {
    // A deque keeps the front in place while later frames are pushed behind it.
    const std::string& frame = self->queue_.front();
    std::string error = co_await self->transport_->write(frame);
    if (!error.empty()) {
      self->fail(std::move(error));
      self->close();
      break;
    }
    self->queued_bytes_ -= frame.size();
    self->queue_.pop_front();
  }
  if (self->closed_) {
    self->queue_.clear();
    self->queued_bytes_ = 0;
  }
  self->writing_ = false;
  self->drained_signal_.cancel();
}

asio::awaitable<void> StompClient::heartbeat_loop(std::shared_ptr<StompClient> self, int every_ms) {
  // Any frame counts as a heart-beat; an EOL goes out only when `every_ms` passed without one.
  const auto every = std::chrono::milliseconds(every_ms);
  while (!self->closed_) {
    self->heartbeat_timer_.expires_at(self->last_write_ + every);
    co_await self->heartbeat_timer_.async_wait(kNoThrow);
    if (self->closed_) break;
    if (std::chrono::steady_clock::now() >= self->last_write_ + every) self->send_raw("\n");
  }
}

}  // namespace aicc::loadgen
