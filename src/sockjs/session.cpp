#include "sockjs/session.hpp"

#include <utility>

#include "sockjs/framing.hpp"

namespace aicc::sockjs {

Session::Session(SessionOptions options, Clock::time_point now)
    : options_(options), last_write_(now), idle_since_(now) {}

Emit Session::attach(ReceiverKind kind, Clock::time_point now) {
  if (receiver_) {
    // A closing session answers every newcomer with its close frame, not with 2010 (protocol
    // test HandlingClose.test_close_frame); the attached receiver is left alone either way.
    if (close_status_) return Emit{{close_frame_}, true, true};
    return Emit{{close_frame(2010, "Another connection still open")}, true, true};
  }
  receiver_ = kind;
  receiver_bytes_ = 0;
  last_write_ = now;
  std::vector<std::string> frames;
  if (!opened_) {
    opened_ = true;
    frames.push_back(open_frame());
    if (kind == ReceiverKind::kPolling) return deliver(std::move(frames), true, now);
  }
  return deliver_pending(std::move(frames), now);
}

void Session::detach(Clock::time_point now) {
  // The attached receiver, if any, is a newer request: the one that finished was already let go
  // when it was told to end.
  if (!receiver_ && now > idle_since_) idle_since_ = now;
}

void Session::receiver_gone(Clock::time_point now) {
  if (!receiver_) return;
  receiver_.reset();
  idle_since_ = now;
  interrupt();
}

void Session::frames_lost(Clock::time_point now) {
  if (!receiver_ && now > idle_since_) idle_since_ = now;
  interrupt();
}

void Session::interrupt() {
  // Messages may have been lost with the request; the session cannot go on, and its close frame
  // tells the client to start again.
  pending_.clear();
  pending_bytes_ = 0;
  if (!close_status_) close(1002, "Connection interrupted");
}

bool Session::send(std::string message) {
  if (close_status_) return false;
  if (message.size() > options_.max_pending_bytes - pending_bytes_) return false;
  pending_bytes_ += message.size();
  pending_.push_back(std::move(message));
  return true;
}

Emit Session::flush(Clock::time_point now) {
  if (!receiver_) return {};
  return deliver_pending({}, now);
}

void Session::close(int code, std::string reason) {
  if (close_status_) return;
  close_frame_ = close_frame(code, reason);
  close_status_ = CloseStatus{code, std::move(reason)};
}

Clock::time_point Session::next_deadline() const {
  if (receiver_) return last_write_ + options_.heartbeat;
  return idle_since_ + options_.disconnect_delay;
}

Emit Session::on_timer(Clock::time_point now) {
  if (!receiver_ || now < last_write_ + options_.heartbeat) return {};
  const bool end = *receiver_ == ReceiverKind::kPolling;
  return deliver({heartbeat_frame()}, end, now);
}

bool Session::expired(Clock::time_point now) const {
  if (receiver_) return false;
  return now - idle_since_ >= options_.disconnect_delay;
}

Emit Session::deliver_pending(std::vector<std::string> frames, Clock::time_point now) {
  bool end = false;
  if (!pending_.empty()) {
    frames.push_back(message_frame(pending_));
    pending_.clear();
    pending_bytes_ = 0;
    // A polling response carries one frame; the close frame waits for the next request.
    end = *receiver_ == ReceiverKind::kPolling;
  }
  if (!end && close_status_) {
    frames.push_back(close_frame_);
    end = true;
  }
  return deliver(std::move(frames), end, now);
}

Emit Session::deliver(std::vector<std::string> frames, bool end, Clock::time_point now) {
  if (!frames.empty()) last_write_ = now;
  for (const std::string& frame : frames) receiver_bytes_ += frame.size();
  if (!frames.empty() && *receiver_ == ReceiverKind::kStreaming &&
      receiver_bytes_ >= options_.streaming_bytes) {
    end = true;
  }
  if (end) {
    receiver_.reset();
    idle_since_ = now;
  }
  return Emit{std::move(frames), end};
}

}  // namespace aicc::sockjs
