// STOMP frames as values.
//
// A Frame is what the decoder produces and the encoder consumes: a command, the headers in wire
// order (repeated names kept; STOMP 1.2 says the first one wins, so lookups return the first) and
// an opaque body. Frames know nothing about sockets, versions or escaping; see decoder.hpp and
// encoder.hpp for that.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace aicc::stomp {

enum class Command : std::uint8_t {
  kConnect,
  kStomp,
  kConnected,
  kSend,
  kSubscribe,
  kUnsubscribe,
  kAck,
  kNack,
  kBegin,
  kCommit,
  kAbort,
  kDisconnect,
  kMessage,
  kReceipt,
  kError,
};

// Protocol versions, ordered so that newer compares greater.
enum class Version : std::uint8_t { k10, k11, k12 };

std::string_view to_string(Command command);
std::optional<Command> parse_command(std::string_view text);
std::string_view to_string(Version version);  // "1.0", "1.1", "1.2"

struct Header {
  std::string name;
  std::string value;
};

struct Frame {
  Command command = Command::kSend;
  std::vector<Header> headers;  // wire order; a repeated name keeps every copy
  std::string body;             // raw bytes, may contain NUL when content-length was given

  // The first header with this name, or nullptr.
  const std::string* find(std::string_view name) const;
  // The first header's value, or `fallback` when absent.
  std::string_view get(std::string_view name, std::string_view fallback = {}) const;
  Frame& add(std::string name, std::string value);
};

}  // namespace aicc::stomp
