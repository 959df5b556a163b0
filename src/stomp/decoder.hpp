// Incremental STOMP frame decoder (sans-I/O).
//
// Bytes go in as they arrive, in pieces of any size; complete frames come out. Nothing here reads a
// socket or a clock, so the same decoder serves WebSocket, SockJS, tests and the fuzzer. Like
// llhttp, an error is sticky: once the input is known to be bad, every later feed() returns the same
// error until reset(). Every limit is enforced before the bytes are buffered, so a hostile peer
// cannot make the decoder hold more than `max_frame_bytes`.
#pragma once

#include <cstddef>
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
  kFrameTooLarge,         // frame or declared content-length over max_frame_bytes
  kTooManyHeaders,        // more than max_headers header lines
  kHeaderTooLong,         // one header line over max_header_bytes
  kUnknownCommand,        // command line is not a STOMP command
  kMalformedHeader,       // header line without ':' or with an empty name
  kBadEscape,             // undefined escape sequence such as "\t" (STOMP 1.1+)
  kBadContentLength,      // content-length is not a decimal number
  kMissingNul,            // the content-length body is not followed by NUL
  kInvalidUtf8,           // command or header is not valid UTF-8
};

// A short operator-readable reason, used as the ERROR frame's `message` header.
std::string_view describe(DecodeError error);

class Decoder {
 public:
  explicit Decoder(DecoderLimits limits = {});

  // Header escaping depends on the negotiated version (1.0: none; 1.1: \n \c \\; 1.2: adds \r).
  // CONNECT/STOMP frames are never unescaped, whatever the version. Default: 1.2.
  void set_version(Version version);

  // Consumes all of `data`, appending each complete frame to `out`. Returns kNone, or the first
  // error met (then sticky). End-of-line bytes between frames are heart-beats: they are counted,
  // not reported as frames.
  DecodeError feed(std::string_view data, std::vector<Frame>& out);

  DecodeError error() const { return error_; }
  std::size_t heartbeats_seen() const { return heartbeats_; }
  // Bytes held for an incomplete frame.
  std::size_t buffered_bytes() const;
  void reset();

 private:
  // Implementation state is private to decoder.cpp's design; see there.
  DecoderLimits limits_;
  Version version_ = Version::k12;
  DecodeError error_ = DecodeError::kNone;
  std::size_t heartbeats_ = 0;
  std::string buffer_;  // bytes of the frame being assembled
};

}  // namespace aicc::stomp
