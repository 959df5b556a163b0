#include "net/ws_frame.hpp"

#include <openssl/sha.h>

#include <cstring>

#include "util/base64.hpp"
#include "util/utf8.hpp"

namespace aicc::net {
namespace {

constexpr std::size_t kStop = std::string::npos;

bool valid_close_code(std::uint16_t code) {
  if (code >= 3000 && code <= 4999) return true;
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1011);
}

void unmask(char* data, std::size_t length, const unsigned char* key) {
  for (std::size_t i = 0; i < length; ++i) data[i] = static_cast<char>(data[i] ^ key[i & 3]);
}

}  // namespace

bool WsReader::fail(std::uint16_t code, std::string_view why) {
  error_code_ = code;
  error_ = why;
  return false;
}

bool WsReader::end_reading() {
  // Nothing more will be read: give back the partial frame and the fragments of an open message.
  std::string().swap(pending_);
  std::string().swap(message_);
  message_opcode_ = 0;
  return false;
}

bool WsReader::feed(char* data, std::size_t size, WsSink& sink) {
  if (failed() || stopped_) return false;
  if (pending_.empty()) {
    const std::size_t used = parse(data, size, sink);
    if (used == kStop) return end_reading();
    pending_.assign(data + used, size - used);
    return true;
  }
  pending_.append(data, size);
  const std::size_t used = parse(pending_.data(), pending_.size(), sink);
  if (used == kStop) return end_reading();
  if (used == pending_.size()) {
    std::string().swap(pending_);  // idle again: give the memory back
  } else {
    pending_.erase(0, used);
  }
  return true;
}

std::size_t WsReader::parse(char* data, std::size_t size, WsSink& sink) {
  std::size_t pos = 0;
  while (size - pos >= 2) {
    const auto* bytes = reinterpret_cast<const unsigned char*>(data + pos);
    const std::size_t available = size - pos;
    const bool fin = (bytes[0] & 0x80) != 0;
    if ((bytes[0] & 0x70) != 0)
      return fail(kCloseProtocolError, "reserved bits set without an extension"), kStop;
    const auto opcode = static_cast<WsOpcode>(bytes[0] & 0x0F);
    const bool masked = (bytes[1] & 0x80) != 0;
    std::uint64_t length = bytes[1] & 0x7F;
    std::size_t header = 2;
    if (length == 126) {
      if (available < 4) break;
      length = (std::uint64_t{bytes[2]} << 8) | bytes[3];
      header = 4;
      if (length < 126)
        return fail(kCloseProtocolError, "frame length not in its shortest form"), kStop;
    } else if (length == 127) {
      if (available < 10) break;
      length = 0;
      for (int i = 2; i < 10; ++i) length = (length << 8) | bytes[i];
      header = 10;
      if ((length >> 63) != 0) return fail(kCloseProtocolError, "frame length over 2^63"), kStop;
      if (length < 65536)
        return fail(kCloseProtocolError, "frame length not in its shortest form"), kStop;
    }
    if (!masked) return fail(kCloseProtocolError, "client frames must be masked"), kStop;
    switch (opcode) {
      case WsOpcode::kClose:
      case WsOpcode::kPing:
      case WsOpcode::kPong:
        if (!fin) return fail(kCloseProtocolError, "fragmented control frame"), kStop;
        if (length > 125) return fail(kCloseProtocolError, "control frame over 125 bytes"), kStop;
        break;
      case WsOpcode::kContinuation:
      case WsOpcode::kText:
      case WsOpcode::kBinary: {
        const std::uint64_t before = opcode == WsOpcode::kContinuation ? message_.size() : 0;
        if (length > max_message_ || before + length > max_message_) {
          return fail(kCloseTooBig, "message too big"), kStop;
        }
        break;
      }
      default:
        return fail(kCloseProtocolError, "unknown opcode"), kStop;
    }
    const std::size_t whole = header + 4 + static_cast<std::size_t>(length);
    if (available < whole) break;
    char* payload = data + pos + header + 4;
    unmask(payload, static_cast<std::size_t>(length), bytes + header);
    if (!frame(opcode, fin, payload, static_cast<std::size_t>(length), sink)) return kStop;
    pos += whole;
  }
  return pos;
}

bool WsReader::frame(WsOpcode opcode, bool fin, char* payload, std::size_t length, WsSink& sink) {
  const std::string_view bytes(payload, length);
  auto stop = [this](bool go_on) {
    if (!go_on) stopped_ = true;
    return go_on;
  };
  switch (opcode) {
    case WsOpcode::kText:
    case WsOpcode::kBinary: {
      if (message_opcode_ != 0)
        return fail(kCloseProtocolError, "a new message began inside a fragmented one");
      const bool text = opcode == WsOpcode::kText;
      if (!fin) {
        message_opcode_ = static_cast<std::uint8_t>(opcode);
        message_.assign(bytes);
        return true;
      }
      if (text && !util::is_valid_utf8(bytes))
        return fail(kCloseInvalidPayload, "text message is not valid UTF-8");
      return stop(sink.on_message(bytes, text));
    }
    case WsOpcode::kContinuation: {
      if (message_opcode_ == 0)
        return fail(kCloseProtocolError, "continuation frame without a message");
      message_.append(bytes);
      if (!fin) return true;
      std::string whole;
      whole.swap(message_);
      const bool text = message_opcode_ == static_cast<std::uint8_t>(WsOpcode::kText);
      message_opcode_ = 0;
      if (text && !util::is_valid_utf8(whole))
        return fail(kCloseInvalidPayload, "text message is not valid UTF-8");
      return stop(sink.on_message(whole, text));
    }
    case WsOpcode::kClose: {
      if (length == 1) return fail(kCloseProtocolError, "close frame with a 1-byte payload");
      std::uint16_t code = 1005;
      std::string_view reason;
      if (length >= 2) {
        code = static_cast<std::uint16_t>((static_cast<unsigned char>(payload[0]) << 8) |
                                          static_cast<unsigned char>(payload[1]));
        if (!valid_close_code(code)) return fail(kCloseProtocolError, "invalid close code");
        reason = bytes.substr(2);
        if (!util::is_valid_utf8(reason))
          return fail(kCloseInvalidPayload, "close reason is not valid UTF-8");
      }
      sink.on_close(code, reason);
      return stop(false);  // nothing after a close frame is read
    }
    case WsOpcode::kPing:
      return stop(sink.on_ping(bytes));
    case WsOpcode::kPong:
      return true;
  }
  return fail(kCloseProtocolError, "unknown opcode");
}

std::size_t write_frame_header(char* out, WsOpcode opcode, std::uint64_t payload_length) {
  auto* bytes = reinterpret_cast<unsigned char*>(out);
  bytes[0] = static_cast<unsigned char>(0x80 | static_cast<unsigned char>(opcode));
  if (payload_length < 126) {
    bytes[1] = static_cast<unsigned char>(payload_length);
    return 2;
  }
  if (payload_length < 65536) {
    bytes[1] = 126;
    bytes[2] = static_cast<unsigned char>(payload_length >> 8);
    bytes[3] = static_cast<unsigned char>(payload_length);
    return 4;
  }
  bytes[1] = 127;
  for (int i = 0; i < 8; ++i)
    bytes[2 + i] = static_cast<unsigned char>(payload_length >> (56 - 8 * i));
  return 10;
}

std::string control_frame(WsOpcode opcode, std::string_view payload) {
  payload = payload.substr(0, 125);
  char header[10];
  const std::size_t n = write_frame_header(header, opcode, payload.size());
  std::string frame(header, n);
  frame.append(payload);
  return frame;
}

std::string close_frame(std::uint16_t code, std::string_view reason) {
  std::string payload;
  payload.push_back(static_cast<char>(code >> 8));
  payload.push_back(static_cast<char>(code & 0xFF));
  // Cut at 123 bytes, and never inside a UTF-8 sequence.
  reason = reason.substr(0, 123);
  while (!reason.empty() && !util::is_valid_utf8(reason)) reason.remove_suffix(1);
  payload.append(reason);
  return control_frame(WsOpcode::kClose, payload);
}

std::string websocket_accept_key(std::string_view client_key) {
  // base64 of 16 bytes: 22 characters of the alphabet, then "==".
  if (client_key.size() != 24 || !client_key.ends_with("==")) return {};
  for (char c : client_key.substr(0, 22)) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '+' || c == '/';
    if (!ok) return {};
  }
  static constexpr std::string_view kGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  std::string input(client_key);
  input.append(kGuid);
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);
  return util::base64_encode(
      std::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
}

}  // namespace aicc::net
