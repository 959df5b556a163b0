// Incremental STOMP frame decoder (sans-I/O).
//
// Bytes go in as they arrive, in pieces of any size; complete frames come out. Nothing here reads a
// socket or a clock, so the same decoder serves WebSocket, SockJS, tests and the fuzzer. Like
// llhttp, an error is sticky: once the input is known to be bad, every later feed() returns the
// same error until reset(). Every limit is enforced before the bytes are buffered, so a hostile
// peer cannot make the decoder hold more than `max_frame_bytes`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "stomp/frame.hpp"

namespace aicc::stomp {

struct DecoderLimits {
  std::size_t max_frame_bytes = 64 * 1024;  // command + headers + body, in bytes
  std::size_t max_headers = 100;            // header lines in one frame
  std::size_t max_header_bytes = 8 * 1024;  // one header line, name and value, before unescaping
};

enum class DecodeError {
  kNone,
  kFrameTooLarge,       // frame or declared content-length over max_frame_bytes
  kTooManyHeaders,      // more than max_headers header lines
  kHeaderTooLong,       // one header line over max_header_bytes
  kUnknownCommand,      // command line is not a STOMP command
  kMalformedHeader,     // header line without ':' or with an empty name
  kBadEscape,           // undefined escape sequence such as "\t" (STOMP 1.1+)
  kBadContentLength,    // content-length is not a decimal number
  kMissingNul,          // the content-length body is not followed by NUL
  kInvalidUtf8,         // command or header is not valid UTF-8
  kBareCarriageReturn,  // a CR inside a header line that does not end it (1.2 escapes it as \r)
};

// A short operator-readable reason, used as the ERROR frame's `message` header.
std::string_view describe(DecodeError error);

class Decoder {
 public:
  explicit Decoder(DecoderLimits limits = {});

  // Header escaping depends on the negotiated version (1.0: none; 1.1: \n \c \\; 1.2: adds \r).
  // CONNECT/STOMP frames (and CONNECTED, which the spec also leaves unescaped) are never
  // unescaped, whatever the version. Default: 1.2. A frame uses the version in force when its
  // command line was read.
  void set_version(Version version);

  // Consumes all of `data`, appending each complete frame to `out`. Returns kNone, or the first
  // error met (then sticky). End-of-line bytes between frames are heart-beats: they are counted,
  // not reported as frames.
  DecodeError feed(std::string_view data, std::vector<Frame>& out);
  // Like feed(), but returns as soon as one frame has been appended to `out`, leaving the bytes
  // after it unread, so that the caller can act on that frame before the next one is decoded
  // (after CONNECT, set_version() must apply to the frames that follow it). Returns how many bytes
  // of `data` were consumed: all of them when no frame was completed, or when an error was met
  // (see error()).
  std::size_t feed_one(std::string_view data, std::vector<Frame>& out);

  DecodeError error() const { return error_; }
  std::size_t heartbeats_seen() const { return heartbeats_; }
  // Bytes held for an incomplete frame; never more than max_frame_bytes, 0 after an error.
  std::size_t buffered_bytes() const;
  // Forgets the partial frame, the error and the heart-beat count; keeps limits and version.
  void reset();

 private:
  // Where the next byte goes.
  enum class State : std::uint8_t {
    kIdle,          // between frames: LFs are heart-beats, anything else starts a command line
    kCommand,       // inside the command line
    kHeaders,       // inside a header line, or the blank line that ends the headers
    kBody,          // reading a content-length body
    kNul,           // the content-length body is complete; its NUL must follow
    kBodyUntilNul,  // reading a body without content-length, up to the first NUL
  };

  // The body of feed() and feed_one(): returns the bytes consumed.
  std::size_t decode(std::string_view data, std::vector<Frame>& out, bool stop_after_frame);
  const char* consume_line(const char* p, const char* end);
  DecodeError check_line_bytes(std::string_view bytes, std::size_t cap, DecodeError too_long) const;
  DecodeError on_command_line(std::string_view line);
  DecodeError on_header_line(std::string_view line);
  void emit(std::vector<Frame>& out);
  void clear_frame();
  DecodeError fail(DecodeError error);

  DecoderLimits limits_;
  Version version_ = Version::k12;
  DecodeError error_ = DecodeError::kNone;
  std::size_t heartbeats_ = 0;

  State state_ = State::kIdle;
  bool unescape_ = false;                 // the current frame's headers are unescaped
  bool has_content_length_ = false;       // the current frame declared its body length
  Version frame_version_ = Version::k12;  // escaping rules of the current frame
  std::size_t body_remaining_ = 0;        // content-length bytes still to read
  std::size_t frame_bytes_ = 0;           // bytes of the current frame consumed, <= max_frame_bytes
  // The frame being assembled: command and finished headers are parsed as soon as their line is
  // complete, body bytes are appended as they arrive.
  Frame frame_;
  // The command or header line when it spans feeds (<= max_header_bytes + CR). A line that is
  // complete inside one feed is parsed straight from the caller's bytes and never copied here.
  std::string buffer_;
};

}  // namespace aicc::stomp
