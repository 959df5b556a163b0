#include "stomp/decoder.hpp"

#include <algorithm>
#include <cstring>
#include <limits>
#include <utility>

#include "util/utf8.hpp"

namespace aicc::stomp {
namespace {

// "UNSUBSCRIBE" is the longest command; a longer command line is rejected before its EOL.
constexpr std::size_t kMaxCommandBytes = 11;
constexpr std::size_t kNotFound = std::numeric_limits<std::size_t>::max();

const char* find_byte(const char* p, std::size_t size, char byte) {
  return size == 0 ? nullptr : static_cast<const char*>(std::memchr(p, byte, size));
}

// Appends the unescaped form of `raw` to `out`. STOMP 1.1 defines \n \c \\, 1.2 adds \r; any
// other escape, or a lone trailing backslash, is an error.
bool append_unescaped(std::string& out, std::string_view raw, Version version) {
  out.reserve(out.size() + raw.size());
  std::size_t from = 0;
  for (;;) {
    const std::size_t slash = raw.find('\\', from);
    if (slash == std::string_view::npos) {
      out.append(raw.substr(from));
      return true;
    }
    out.append(raw.substr(from, slash - from));
    if (slash + 1 == raw.size()) return false;
    switch (raw[slash + 1]) {
      case 'n':
        out.push_back('\n');
        break;
      case 'c':
        out.push_back(':');
        break;
      case '\\':
        out.push_back('\\');
        break;
      case 'r':
        if (version < Version::k12) return false;
        out.push_back('\r');
        break;
      default:
        return false;
    }
    from = slash + 2;
  }
}

// A content-length value: one or more ASCII digits, nothing else, no overflow.
bool parse_length(std::string_view text, std::size_t& length) {
  if (text.empty()) return false;
  std::size_t value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return false;
    const auto digit = static_cast<std::size_t>(c - '0');
    if (value > (kNotFound - digit) / 10) return false;
    value = value * 10 + digit;
  }
  length = value;
  return true;
}

}  // namespace

std::string_view describe(DecodeError error) {
  switch (error) {
    case DecodeError::kNone:
      return "no error";
    case DecodeError::kFrameTooLarge:
      return "frame too large";
    case DecodeError::kTooManyHeaders:
      return "too many headers";
    case DecodeError::kHeaderTooLong:
      return "header too long";
    case DecodeError::kUnknownCommand:
      return "unknown command";
    case DecodeError::kMalformedHeader:
      return "malformed header";
    case DecodeError::kBadEscape:
      return "invalid header escape";
    case DecodeError::kBadContentLength:
      return "invalid content-length";
    case DecodeError::kMissingNul:
      return "missing NUL after body";
    case DecodeError::kInvalidUtf8:
      return "invalid UTF-8 in command or header";
    case DecodeError::kBareCarriageReturn:
      return "carriage return inside a header (escape it as \\r)";
  }
  return "unknown decode error";
}

Decoder::Decoder(DecoderLimits limits) : limits_(limits) {}

void Decoder::set_version(Version version) { version_ = version; }

std::size_t Decoder::buffered_bytes() const { return frame_bytes_; }

void Decoder::reset() {
  error_ = DecodeError::kNone;
  heartbeats_ = 0;
  clear_frame();
}

DecodeError Decoder::feed(std::string_view data, std::vector<Frame>& out) {
  decode(data, out, false);
  return error_;
}

std::size_t Decoder::feed_one(std::string_view data, std::vector<Frame>& out) {
  return decode(data, out, true);
}

std::size_t Decoder::decode(std::string_view data, std::vector<Frame>& out, bool stop_after_frame) {
  if (error_ != DecodeError::kNone) return data.size();
  const char* p = data.data();
  const char* const end = p + data.size();
  const std::size_t frames_before = out.size();
  // Each state consumes as many bytes as it can in one step (memchr, bulk appends), so every
  // byte is looked at a bounded number of times however the input is split.
  while (p != end && error_ == DecodeError::kNone) {
    if (stop_after_frame && out.size() != frames_before) break;
    switch (state_) {
      case State::kIdle:
        // Bare LFs between frames are heart-beats; a CRLF heart-beat arrives as an empty command
        // line (see on_command_line).
        while (p != end && *p == '\n') {
          ++heartbeats_;
          ++p;
        }
        if (p != end) state_ = State::kCommand;
        break;
      case State::kCommand:
      case State::kHeaders:
        p = consume_line(p, end);
        break;
      case State::kBody: {
        // The content-length check in on_header_line already proved the body and its NUL fit.
        const std::size_t n = std::min(body_remaining_, static_cast<std::size_t>(end - p));
        frame_.body.append(p, n);
        p += n;
        frame_bytes_ += n;
        body_remaining_ -= n;
        if (body_remaining_ == 0) state_ = State::kNul;
        break;
      }
      case State::kNul:
        if (*p != '\0') {
          fail(DecodeError::kMissingNul);
          return data.size();
        }
        ++p;
        ++frame_bytes_;
        emit(out);
        break;
      case State::kBodyUntilNul: {
        const auto available = static_cast<std::size_t>(end - p);
        const std::size_t span = std::min(available, limits_.max_frame_bytes - frame_bytes_);
        const char* nul = find_byte(p, span, '\0');
        if (nul == nullptr) {
          // The byte after the budget belongs to this frame too: it is over the limit.
          if (span < available) {
            fail(DecodeError::kFrameTooLarge);
            return data.size();
          }
          frame_.body.append(p, span);
          frame_bytes_ += span;
          p += span;
          break;
        }
        frame_.body.append(p, static_cast<std::size_t>(nul - p));
        frame_bytes_ += static_cast<std::size_t>(nul - p) + 1;
        p = nul + 1;
        emit(out);
        break;
      }
    }
  }
  return error_ != DecodeError::kNone ? data.size() : static_cast<std::size_t>(p - data.data());
}

// Consumes the bytes of the current command or header line found in [p, end) and, once its LF is
// there, parses the line. Returns where the next state starts reading.
const char* Decoder::consume_line(const char* p, const char* end) {
  const bool command = state_ == State::kCommand;
  // Clamped so that `cap + 2` below cannot wrap around.
  const std::size_t cap =
      command ? kMaxCommandBytes : std::min(limits_.max_header_bytes, kNotFound - 2);
  const DecodeError too_long = command ? DecodeError::kUnknownCommand : DecodeError::kHeaderTooLong;

  // A valid line still has room for at most `cap` content bytes, a CR and the LF, and the frame
  // for `max_frame_bytes - frame_bytes_`; looking further is wasted work.
  const auto available = static_cast<std::size_t>(end - p);
  const std::size_t budget = limits_.max_frame_bytes - frame_bytes_;
  const std::size_t room = cap + 2 - buffer_.size();
  const std::size_t span = std::min({available, budget, room});
  const char* lf = find_byte(p, span, '\n');
  const std::string_view bytes(p, lf != nullptr ? static_cast<std::size_t>(lf - p) : span);

  if (const DecodeError error = check_line_bytes(bytes, cap, too_long);
      error != DecodeError::kNone) {
    fail(error);
    return end;
  }
  if (lf == nullptr) {
    // When `room` bounded the span, check_line_bytes has already failed; so `budget` did.
    if (span < available) {
      fail(DecodeError::kFrameTooLarge);
      return end;
    }
    buffer_.append(bytes);
    frame_bytes_ += span;
    return end;
  }

  frame_bytes_ += bytes.size() + 1;
  std::string_view line = bytes;
  if (!buffer_.empty()) {
    buffer_.append(bytes);
    line = buffer_;
  }
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  const DecodeError error = command ? on_command_line(line) : on_header_line(line);
  buffer_.clear();
  if (error != DecodeError::kNone) {
    fail(error);
    return end;
  }
  return lf + 1;
}

// Checks `bytes`, the next piece of the current line (no LF in it), given the `buffer_.size()`
// bytes of the line already seen. The line may hold `cap` content bytes plus the CR of a CRLF.
// Errors are reported in byte order, so the answer does not depend on how the input was split.
DecodeError Decoder::check_line_bytes(std::string_view bytes, std::size_t cap,
                                      DecodeError too_long) const {
  const std::size_t seen = buffer_.size();
  const std::size_t total = seen + bytes.size();

  // Index of the first byte that makes the line too long, if any: byte `cap` unless it is a CR
  // (which may end the line), else byte `cap + 1`.
  std::size_t too_long_at = kNotFound;
  if (total > cap) {
    const char at_cap = cap < seen ? buffer_[cap] : bytes[cap - seen];
    if (at_cap != '\r') {
      too_long_at = cap;
    } else if (total > cap + 1) {
      too_long_at = cap + 1;
    }
  }
  // The buffered part has no NUL: it was checked when it arrived.
  const char* nul = find_byte(bytes.data(), bytes.size(), '\0');
  if (nul != nullptr && seen + static_cast<std::size_t>(nul - bytes.data()) <= too_long_at) {
    return DecodeError::kMalformedHeader;
  }
  return too_long_at == kNotFound ? DecodeError::kNone : too_long;
}

DecodeError Decoder::on_command_line(std::string_view line) {
  if (line.empty()) {  // a CRLF heart-beat
    ++heartbeats_;
    clear_frame();
    return DecodeError::kNone;
  }
  if (!util::is_valid_utf8(line)) return DecodeError::kInvalidUtf8;
  const std::optional<Command> command = parse_command(line);
  if (!command) return DecodeError::kUnknownCommand;
  frame_.command = *command;
  frame_version_ = version_;
  // The spec leaves CONNECT and CONNECTED unescaped for 1.0 compatibility; STOMP is CONNECT's
  // 1.2 spelling.
  unescape_ = version_ >= Version::k11 && *command != Command::kConnect &&
              *command != Command::kStomp && *command != Command::kConnected;
  state_ = State::kHeaders;
  return DecodeError::kNone;
}

DecodeError Decoder::on_header_line(std::string_view line) {
  if (line.empty()) {  // the blank line: the body follows
    if (!has_content_length_) {
      state_ = State::kBodyUntilNul;
    } else {
      frame_.body.reserve(body_remaining_);
      state_ = body_remaining_ == 0 ? State::kNul : State::kBody;
    }
    return DecodeError::kNone;
  }
  if (frame_.headers.size() >= limits_.max_headers) return DecodeError::kTooManyHeaders;
  // Only the CR of a CRLF ends a line (removed above); one left inside would split the header in
  // any line-based parser behind us, so it is refused rather than kept or dropped.
  if (line.find('\r') != std::string_view::npos) return DecodeError::kBareCarriageReturn;

  const std::size_t colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) return DecodeError::kMalformedHeader;
  const std::string_view raw_name = line.substr(0, colon);
  const std::string_view raw_value = line.substr(colon + 1);

  Header header;
  if (unescape_) {
    if (!append_unescaped(header.name, raw_name, frame_version_) ||
        !append_unescaped(header.value, raw_value, frame_version_)) {
      return DecodeError::kBadEscape;
    }
  } else {
    header.name.assign(raw_name);
    header.value.assign(raw_value);
  }
  if (!util::is_valid_utf8(header.name) || !util::is_valid_utf8(header.value)) {
    return DecodeError::kInvalidUtf8;
  }

  if (!has_content_length_ && header.name == "content-length") {
    std::size_t length = 0;
    if (!parse_length(header.value, length)) return DecodeError::kBadContentLength;
    // Refuse now rather than after buffering: the rest of the frame is at least the blank
    // line's LF, the body and the NUL.
    const std::size_t left = limits_.max_frame_bytes - frame_bytes_;
    if (left < 2 || length > left - 2) return DecodeError::kFrameTooLarge;
    has_content_length_ = true;
    body_remaining_ = length;
  }
  frame_.headers.push_back(std::move(header));
  return DecodeError::kNone;
}

void Decoder::emit(std::vector<Frame>& out) {
  out.push_back(std::move(frame_));
  clear_frame();
}

void Decoder::clear_frame() {
  state_ = State::kIdle;
  frame_ = Frame{};
  has_content_length_ = false;
  body_remaining_ = 0;
  frame_bytes_ = 0;
  buffer_.clear();
}

DecodeError Decoder::fail(DecodeError error) {
  error_ = error;
  clear_frame();
  // Drop the memory too: a failed connection is about to be closed.
  buffer_.shrink_to_fit();
  return error;
}

}  // namespace aicc::stomp
