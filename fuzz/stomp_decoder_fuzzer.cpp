// libFuzzer target for the STOMP decoder and encoder.
//
// Input layout: the first byte picks the configuration, the rest is the byte stream.
//   bits 0-1: version (0: 1.0, 1: 1.1, 2 and 3: 1.2)
//   bit 2:    tiny limits (256-byte frames, 4 headers, 32-byte lines), to reach the limit paths
// So a seed starting with '2' is a STOMP 1.2 stream under the default limits, '6' the same under
// tiny limits.
//
// Besides the sanitizers, it checks that
//   - the stream split in two (at a position derived from the data), and a short stream fed one
//     byte at a time, decode exactly like the whole;
//   - the decoder never holds more than max_frame_bytes, and an error stays until reset();
//   - every decoded frame survives encode() then decode() unchanged.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.hpp"
#include "stomp/decoder.hpp"
#include "stomp/encoder.hpp"

namespace {

using aicc::stomp::Command;
using aicc::stomp::DecodeError;
using aicc::stomp::Decoder;
using aicc::stomp::DecoderLimits;
using aicc::stomp::Frame;
using aicc::stomp::Version;

struct Outcome {
  std::vector<Frame> frames;
  DecodeError error = DecodeError::kNone;
  std::size_t heartbeats = 0;
  std::size_t buffered = 0;
};

bool same_frame(const Frame& a, const Frame& b) {
  if (a.command != b.command || a.body != b.body || a.headers.size() != b.headers.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.headers.size(); ++i) {
    if (a.headers[i].name != b.headers[i].name || a.headers[i].value != b.headers[i].value) {
      return false;
    }
  }
  return true;
}

bool same_outcome(const Outcome& a, const Outcome& b) {
  if (a.error != b.error || a.heartbeats != b.heartbeats || a.buffered != b.buffered ||
      a.frames.size() != b.frames.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.frames.size(); ++i) {
    if (!same_frame(a.frames[i], b.frames[i])) return false;
  }
  return true;
}

Outcome decode(const std::vector<std::string_view>& pieces, Version version,
               const DecoderLimits& limits) {
  Decoder decoder(limits);
  decoder.set_version(version);
  Outcome outcome;
  for (const std::string_view piece : pieces) {
    outcome.error = decoder.feed(piece, outcome.frames);
    FUZZ_CHECK(decoder.buffered_bytes() <= limits.max_frame_bytes);
    FUZZ_CHECK(outcome.error == decoder.error());
  }
  outcome.heartbeats = decoder.heartbeats_seen();
  outcome.buffered = decoder.buffered_bytes();
  if (outcome.error != DecodeError::kNone) {
    // Sticky: a valid frame afterwards changes nothing.
    std::vector<Frame> more;
    FUZZ_CHECK(decoder.feed(std::string_view("SEND\n\n\0", 7), more) == outcome.error);
    FUZZ_CHECK(more.empty());
  }
  return outcome;
}

// Whether encode() can express `frame` so that decoding gives it back. Without an escape for CR
// (1.0, 1.1, and the never-escaped CONNECT/STOMP/CONNECTED), a value ending in CR would be read
// back as part of a CRLF.
bool representable(const Frame& frame, Version version) {
  const bool escaped = frame.command != Command::kConnect && frame.command != Command::kStomp &&
                       frame.command != Command::kConnected;
  if (escaped && version == Version::k12) return true;
  for (const auto& header : frame.headers) {
    if (!header.value.empty() && header.value.back() == '\r') return false;
  }
  return true;
}

void check_round_trip(const Frame& frame, Version version) {
  if (!representable(frame, version)) return;
  const std::string bytes = aicc::stomp::encode(frame, version);
  // Escaping can double a line and encode() may add content-length: allow for both.
  DecoderLimits roomy;
  roomy.max_frame_bytes = bytes.size();
  roomy.max_headers = frame.headers.size() + 1;
  roomy.max_header_bytes = bytes.size();
  const Outcome back = decode({bytes}, version, roomy);
  FUZZ_CHECK(back.error == DecodeError::kNone);
  FUZZ_CHECK(back.frames.size() == 1);
  FUZZ_CHECK(back.buffered == 0);
  Frame expected = frame;
  if (!frame.body.empty() && frame.find("content-length") == nullptr) {
    expected.add("content-length", std::to_string(frame.body.size()));
  }
  FUZZ_CHECK(same_frame(back.frames[0], expected));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t config = data[0];
  const Version version = (config & 3) == 0   ? Version::k10
                          : (config & 3) == 1 ? Version::k11
                                              : Version::k12;
  DecoderLimits limits;
  if ((config & 4) != 0) {
    limits.max_frame_bytes = 256;
    limits.max_headers = 4;
    limits.max_header_bytes = 32;
  }
  const std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);

  const Outcome whole = decode({input}, version, limits);

  // FNV-1a over the stream, so every split position is reachable.
  const std::size_t cut = aicc::fuzz::hash_of(input) % (input.size() + 1);
  const Outcome split = decode({input.substr(0, cut), input.substr(cut)}, version, limits);
  FUZZ_CHECK(same_outcome(whole, split));

  // Short inputs are also fed one byte at a time, the worst split of all.
  if (input.size() <= 512) {
    std::vector<std::string_view> bytes;
    for (std::size_t i = 0; i < input.size(); ++i) bytes.push_back(input.substr(i, 1));
    FUZZ_CHECK(same_outcome(whole, decode(bytes, version, limits)));
  }

  for (const Frame& frame : whole.frames) check_round_trip(frame, version);
  return 0;
}
