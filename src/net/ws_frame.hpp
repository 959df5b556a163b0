// The server side of RFC 6455 framing, without I/O: turns what a client sent into messages and
// control frames, and writes the headers of what the server sends.
//
// Why by hand rather than Boost.Beast's websocket::stream: measured with the load generator, an
// idle Beast WebSocket (stream, its timers, the coroutines and buffers that drive it) holds about
// 18 KiB of user-space memory, which caps one process far below its descriptor limit in memory
// terms. The framing itself is small and fully specified; what this file keeps per connection is
// empty while the connection is idle. Beast still parses the HTTP upgrade request, and still
// serves WebSockets that negotiate permessage-deflate (see ws_session.hpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace aicc::net {

enum class WsOpcode : std::uint8_t {
  kContinuation = 0x0,
  kText = 0x1,
  kBinary = 0x2,
  kClose = 0x8,
  kPing = 0x9,
  kPong = 0xA,
};

// Close codes the reader can fail with (RFC 6455 section 7.4.1).
inline constexpr std::uint16_t kCloseNormal = 1000;
inline constexpr std::uint16_t kCloseGoingAway = 1001;
inline constexpr std::uint16_t kCloseProtocolError = 1002;
inline constexpr std::uint16_t kCloseInvalidPayload = 1007;
inline constexpr std::uint16_t kClosePolicy = 1008;
inline constexpr std::uint16_t kCloseTooBig = 1009;

// What the reader hands on. Returning false from a callback stops reading (the connection closes).
class WsSink {
 public:
  virtual ~WsSink() = default;
  virtual bool on_message(std::string_view payload, bool text) = 0;
  virtual bool on_ping(std::string_view payload) = 0;
  // `code` 1005 when the close frame carried none.
  virtual bool on_close(std::uint16_t code, std::string_view reason) = 0;
};

// Reassembles client frames into messages. Keeps nothing between calls but the bytes of an
// incomplete frame and the fragments of an incomplete message, both released once complete.
class WsReader {
 public:
  explicit WsReader(std::size_t max_message_bytes) : max_message_(max_message_bytes) {}

  // Consumes `size` bytes at `data` (unmasked in place, so they must be writable). Returns false
  // once the client broke the protocol, or a sink callback asked to stop; failed() tells which.
  bool feed(char* data, std::size_t size, WsSink& sink);

  bool failed() const { return error_code_ != 0; }
  std::uint16_t error_code() const { return error_code_; }
  std::string_view error() const { return error_; }
  // Nothing buffered: no partial frame, no partial message.
  bool idle() const { return pending_.empty() && message_.empty() && message_opcode_ == 0; }

 private:
  // Parses frames from data[0, size); returns the bytes consumed (whole frames only), or
  // std::string::npos when reading must stop.
  std::size_t parse(char* data, std::size_t size, WsSink& sink);
  bool frame(WsOpcode opcode, bool fin, char* payload, std::size_t length, WsSink& sink);
  bool fail(std::uint16_t code, std::string_view why);
  bool end_reading();  // releases what is buffered once reading stopped; returns false

  std::size_t max_message_;
  std::string pending_;              // an incomplete frame
  std::string message_;              // fragments of an incomplete message
  std::uint8_t message_opcode_ = 0;  // kText or kBinary while a fragmented message is open
  std::uint16_t error_code_ = 0;
  std::string_view error_;  // static text
  bool stopped_ = false;    // a close frame came, or a sink said stop
};

// Writes the header of an unmasked server frame with FIN set into `out` (at least 10 bytes);
// returns its length.
std::size_t write_frame_header(char* out, WsOpcode opcode, std::uint64_t payload_length);

// A whole control frame (close, ping or pong), payload cut to the 125 bytes allowed.
std::string control_frame(WsOpcode opcode, std::string_view payload);
std::string close_frame(std::uint16_t code, std::string_view reason);

// Sec-WebSocket-Accept for a client's Sec-WebSocket-Key; empty when the key is not the base64 of
// 16 bytes, as RFC 6455 section 4.2.1 requires.
std::string websocket_accept_key(std::string_view client_key);

}  // namespace aicc::net
