// The state machine of one SockJS session over the HTTP transports (sans-I/O).
//
// A SockJS session outlives the HTTP requests that carry it. At most one "receiver" request
// (xhr, jsonp, xhr_streaming, eventsource, htmlfile) is attached at a time; the session queues
// the application's messages while none is, and decides which frames the attached one writes and
// when its response ends. It follows sockjs-node and the sockjs-protocol 0.3.3 test suite:
//
// - The first receiver gets "o". A polling receiver (xhr, jsonp) ends after one frame; a streaming
//   receiver keeps going until it has written `streaming_bytes` of frames, then ends so the client
//   reconnects and the browser can free what it buffered.
// - A second receiver while one is attached gets `c[2010,"Another connection still open"]`.
// - An idle receiver gets "h" every `heartbeat` (which ends a polling response).
// - After close() every receiver, the attached one and later ones, gets pending messages and then
//   the close frame. The closed session keeps answering with the close frame until nobody has
//   asked for `disconnect_delay`, like sockjs-node, so a client that polls again learns it is
//   closed instead of opening a new session.
// - A receiver the client dropped early, or frames written to a response that never reached
//   the client, close the session with 1002 "Connection interrupted": nothing the client missed
//   may vanish while the session carries on. Like any closed session it keeps answering the close
//   frame until nobody has asked for `disconnect_delay`, so the client learns that it must open a
//   new session and resume (STOMP since-seq).
// - With no receiver for `disconnect_delay`, the session expires (the client went away).
//
// Calling contract for the HTTP layer:
// - A request is the session's receiver from attach() until an Emit with end == true reaches it
//   (from attach(), flush() or on_timer()). The session forgets it at that moment, so a request
//   whose attach() already said end == true (for example the 2010 answer) was never attached.
// - After send() or close(), call flush() for the attached receiver and write what it returns.
// - Call on_timer() at next_deadline(), and drop the session once expired() is true.
// - When the final write of a response completes, call detach(now): it restarts the disconnect
//   timer, and is harmless for any request. Call receiver_gone(now) only for the attached
//   receiver, when its client disconnected before it saw end == true (check that the client is
//   still there before pulling frames for it, see flush()). Call frames_lost(now) when writing a
//   response that had already ended failed.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace aicc::sockjs {

using Clock = std::chrono::steady_clock;

enum class ReceiverKind {
  kPolling,    // xhr, jsonp: one frame per response
  kStreaming,  // xhr_streaming, eventsource, htmlfile: many frames per response
};

struct SessionOptions {
  std::chrono::milliseconds heartbeat{25000};        // idle time before "h" to a receiver
  std::chrono::milliseconds disconnect_delay{5000};  // time without a receiver before expiry
  std::size_t streaming_bytes = 128 * 1024;  // frame bytes after which a streaming response ends
  std::size_t max_pending_bytes = 1 << 20;   // message bytes queued for the client, at most
};

// What the attached receiver writes now.
struct Emit {
  std::vector<std::string> frames;  // raw frames ("o", "a[...]", "h", "c[...]"), in order
  bool end = false;                 // finish this HTTP response after writing them
  bool rejected = false;  // attach() did not attach the request: another receiver is attached
};

// Why the session ended, for the application.
struct CloseStatus {
  int code = 0;        // SockJS/WebSocket close code: 3000 from the app, 1002 when interrupted
  std::string reason;  // e.g. "Connection interrupted"
};

class Session {
 public:
  Session(SessionOptions options, Clock::time_point now);

  // A receiving request arrives.
  Emit attach(ReceiverKind kind, Clock::time_point now);
  // A finished response has been written out (see the contract above).
  void detach(Clock::time_point now);
  // The client dropped the attached request before its response ended.
  void receiver_gone(Clock::time_point now);
  // The frames of a response that had already ended (end == true) did not reach the client.
  void frames_lost(Clock::time_point now);

  // Queues an application message; false when the session is closed or the queue would go over
  // max_pending_bytes (the caller decides: drop the client, or slow the producer).
  bool send(std::string message);
  // The frames the attached receiver should write now; none when it has no receiver. They count
  // as delivered from here on, so the caller checks first that its client is still there.
  Emit flush(Clock::time_point now);
  // Server-initiated close; the first call wins. Delivered by flush() or the next attach().
  void close(int code, std::string reason);

  // When on_timer() must next be called: the next heartbeat, or the expiry time.
  Clock::time_point next_deadline() const;
  // Heartbeats to an idle attached receiver.
  Emit on_timer(Clock::time_point now);
  // True when the session should be dropped: no receiver for disconnect_delay.
  bool expired(Clock::time_point now) const;

  bool is_closed() const { return close_status_.has_value(); }
  bool has_receiver() const { return receiver_.has_value(); }
  std::size_t pending_bytes() const { return pending_bytes_; }
  // Set once the session is closed: by close(), or 1002 "Connection interrupted". Empty when the
  // session simply expired, which the application treats as the client having gone away.
  const std::optional<CloseStatus>& close_status() const { return close_status_; }

 private:
  // Pending messages, then the close frame if closed, to the attached receiver.
  Emit deliver_pending(std::vector<std::string> frames, Clock::time_point now);
  // Accounts for frames written to the attached receiver and ends it when `end` or full.
  Emit deliver(std::vector<std::string> frames, bool end, Clock::time_point now);
  // Drops what is pending and closes with 1002 "Connection interrupted" (unless already closed).
  void interrupt();

  SessionOptions options_;
  bool opened_ = false;                   // "o" has been sent
  std::optional<ReceiverKind> receiver_;  // the attached receiver, if any
  std::size_t receiver_bytes_ = 0;        // frame bytes written to the attached receiver
  Clock::time_point last_write_;          // last frame to the attached receiver (heartbeat base)
  Clock::time_point idle_since_;          // since when no receiver is attached (expiry base)
  std::vector<std::string> pending_;      // messages not yet given to a receiver, in order
  std::size_t pending_bytes_ = 0;         // sum of pending_ sizes, <= max_pending_bytes
  std::optional<CloseStatus> close_status_;
  std::string close_frame_;  // "c[code,reason]" once closed
};

}  // namespace aicc::sockjs
