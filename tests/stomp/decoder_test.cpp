#include "stomp/decoder.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "stomp/encoder.hpp"

namespace aicc::stomp {
namespace {

using namespace std::string_literals;

struct Decoded {
  std::vector<Frame> frames;
  DecodeError error = DecodeError::kNone;
  std::size_t heartbeats = 0;
};

Decoded decode(std::string_view input, Version version = Version::k12, DecoderLimits limits = {}) {
  Decoder decoder(limits);
  decoder.set_version(version);
  Decoded result;
  result.error = decoder.feed(input, result.frames);
  result.heartbeats = decoder.heartbeats_seen();
  return result;
}

// Feeds `input` in pieces of `chunk` bytes.
Decoded decode_in_chunks(std::string_view input, std::size_t chunk, DecoderLimits limits = {}) {
  Decoder decoder(limits);
  Decoded result;
  for (std::size_t at = 0; at < input.size(); at += chunk) {
    result.error = decoder.feed(input.substr(at, chunk), result.frames);
  }
  result.heartbeats = decoder.heartbeats_seen();
  return result;
}

bool same_frames(const std::vector<Frame>& a, const std::vector<Frame>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].command != b[i].command || a[i].body != b[i].body ||
        a[i].headers.size() != b[i].headers.size()) {
      return false;
    }
    for (std::size_t h = 0; h < a[i].headers.size(); ++h) {
      if (a[i].headers[h].name != b[i].headers[h].name ||
          a[i].headers[h].value != b[i].headers[h].value) {
        return false;
      }
    }
  }
  return true;
}

const std::vector<Command> kAllCommands = {
    Command::kConnect,   Command::kStomp,       Command::kConnected, Command::kSend,
    Command::kSubscribe, Command::kUnsubscribe, Command::kAck,       Command::kNack,
    Command::kBegin,     Command::kCommit,      Command::kAbort,     Command::kDisconnect,
    Command::kMessage,   Command::kReceipt,     Command::kError,
};

TEST(Decoder, ParsesEveryCommand) {
  for (const Command command : kAllCommands) {
    const std::string input = std::string(to_string(command)) + "\nreceipt:7\n\n\0"s;
    const Decoded result = decode(input);
    ASSERT_EQ(result.error, DecodeError::kNone) << to_string(command);
    ASSERT_EQ(result.frames.size(), 1u) << to_string(command);
    EXPECT_EQ(result.frames[0].command, command);
    EXPECT_EQ(result.frames[0].get("receipt"), "7");
  }
}

TEST(Decoder, ParsesHeadersAndBody) {
  const Decoded result = decode("SEND\ndestination:/queue/a\ncontent-type:text/plain\n\nhello\0"s);
  ASSERT_EQ(result.error, DecodeError::kNone);
  ASSERT_EQ(result.frames.size(), 1u);
  const Frame& frame = result.frames[0];
  EXPECT_EQ(frame.command, Command::kSend);
  ASSERT_EQ(frame.headers.size(), 2u);
  EXPECT_EQ(frame.headers[0].name, "destination");
  EXPECT_EQ(frame.headers[0].value, "/queue/a");
  EXPECT_EQ(frame.get("content-type"), "text/plain");
  EXPECT_EQ(frame.body, "hello");
}

TEST(Decoder, RejectsUnknownCommand) {
  EXPECT_EQ(decode("PUBLISH\n\n\0"s).error, DecodeError::kUnknownCommand);
  EXPECT_EQ(decode("send\n\n\0"s).error, DecodeError::kUnknownCommand);
  EXPECT_EQ(decode("SEND \n\n\0"s).error, DecodeError::kUnknownCommand);
}

TEST(Decoder, RejectsLongCommandLineBeforeItsEol) {
  Decoder decoder;
  std::vector<Frame> frames;
  EXPECT_EQ(decoder.feed("UNSUBSCRIBE", frames), DecodeError::kNone);
  EXPECT_EQ(decoder.feed("X", frames), DecodeError::kUnknownCommand);
}

TEST(Decoder, AcceptsCrlfLineEndings) {
  const Decoded result = decode("SEND\r\ndestination:/queue/a\r\nreceipt:1\r\n\r\nhi\0"s);
  ASSERT_EQ(result.error, DecodeError::kNone);
  ASSERT_EQ(result.frames.size(), 1u);
  EXPECT_EQ(result.frames[0].command, Command::kSend);
  EXPECT_EQ(result.frames[0].get("destination"), "/queue/a");
  EXPECT_EQ(result.frames[0].get("receipt"), "1");
  EXPECT_EQ(result.frames[0].body, "hi");
}

TEST(Decoder, KeepsColonsAfterTheFirstInValue) {
  const Decoded result = decode("SEND\ndestination:/topic/a:b::c\n\n\0"s, Version::k10);
  ASSERT_EQ(result.error, DecodeError::kNone);
  EXPECT_EQ(result.frames[0].get("destination"), "/topic/a:b::c");
}

TEST(Decoder, KeepsSpacesInNamesAndValues) {
  const Decoded result = decode("SEND\n x : y \n\n\0"s);
  ASSERT_EQ(result.error, DecodeError::kNone);
  EXPECT_EQ(result.frames[0].headers[0].name, " x ");
  EXPECT_EQ(result.frames[0].headers[0].value, " y ");
}

TEST(Decoder, KeepsRepeatedHeadersAndFirstWins) {
  const Decoded result = decode("MESSAGE\nfoo:first\nfoo:second\nbar:x\nfoo:third\n\n\0"s);
  ASSERT_EQ(result.error, DecodeError::kNone);
  const Frame& frame = result.frames[0];
  ASSERT_EQ(frame.headers.size(), 4u);
  EXPECT_EQ(frame.get("foo"), "first");
  EXPECT_EQ(frame.headers[1].value, "second");
  EXPECT_EQ(frame.headers[3].value, "third");
}

TEST(Decoder, ReadsContentLengthBodyWithNulBytes) {
  const std::string body = "a\0b\0\0c"s;
  const Decoded result = decode("SEND\ncontent-length:6\n\n"s + body + "\0"s);
  ASSERT_EQ(result.error, DecodeError::kNone);
  ASSERT_EQ(result.frames.size(), 1u);
  EXPECT_EQ(result.frames[0].body, body);
}

TEST(Decoder, FirstContentLengthWins) {
  const Decoded result = decode("SEND\ncontent-length:2\ncontent-length:junk\n\nab\0"s);
  ASSERT_EQ(result.error, DecodeError::kNone);
  EXPECT_EQ(result.frames[0].body, "ab");
  EXPECT_EQ(result.frames[0].headers.size(), 2u);
}

TEST(Decoder, ReadsEmptyContentLengthBody) {
  const Decoded result = decode("SEND\ncontent-length:0\n\n\0"s);
  ASSERT_EQ(result.error, DecodeError::kNone);
  ASSERT_EQ(result.frames.size(), 1u);
  EXPECT_EQ(result.frames[0].body, "");
}

TEST(Decoder, RejectsMissingNulAfterContentLengthBody) {
  EXPECT_EQ(decode("SEND\ncontent-length:2\n\nabc\0"s).error, DecodeError::kMissingNul);
  EXPECT_EQ(decode("SEND\ncontent-length:0\n\nx"s).error, DecodeError::kMissingNul);
}

TEST(Decoder, RejectsBadContentLength) {
  for (const char* value :
       {"", "abc", "-1", "+1", " 1", "1 ", "0x10", "1.5", "99999999999999999999999999"}) {
    EXPECT_EQ(decode("SEND\ncontent-length:"s + value + "\n\n\0"s).error,
              DecodeError::kBadContentLength)
        << '"' << value << '"';
  }
}

TEST(Decoder, ReadsBodyUpToFirstNulWithoutContentLength) {
  const Decoded result = decode("SEND\n\nabc\0SEND\n\ndef\0"s);
  ASSERT_EQ(result.error, DecodeError::kNone);
  ASSERT_EQ(result.frames.size(), 2u);
  EXPECT_EQ(result.frames[0].body, "abc");
  EXPECT_EQ(result.frames[1].body, "def");
}

TEST(Decoder, DecodesSeveralFramesInOneFeed) {
  const Decoded result = decode(
      "SUBSCRIBE\nid:0\ndestination:/topic/a\n\n\0"
      "SEND\ndestination:/topic/a\ncontent-length:3\n\nx\0y\0"
      "DISCONNECT\nreceipt:9\n\n\0"s);
  ASSERT_EQ(result.error, DecodeError::kNone);
  ASSERT_EQ(result.frames.size(), 3u);
  EXPECT_EQ(result.frames[0].command, Command::kSubscribe);
  EXPECT_EQ(result.frames[1].body, "x\0y"s);
  EXPECT_EQ(result.frames[2].get("receipt"), "9");
}

TEST(Decoder, CountsHeartbeatsBetweenFrames) {
  const Decoded result = decode("\n\r\n\nSEND\n\n\0\n\n\r\nSEND\n\n\0\r\n\n"s);
  ASSERT_EQ(result.error, DecodeError::kNone);
  EXPECT_EQ(result.frames.size(), 2u);
  EXPECT_EQ(result.heartbeats, 8u);
}

TEST(Decoder, CountsHeartbeatsSplitAcrossFeeds) {
  Decoder decoder;
  std::vector<Frame> frames;
  EXPECT_EQ(decoder.feed("\r", frames), DecodeError::kNone);
  EXPECT_EQ(decoder.heartbeats_seen(), 0u);
  EXPECT_EQ(decoder.feed("\n\n", frames), DecodeError::kNone);
  EXPECT_EQ(decoder.heartbeats_seen(), 2u);
  EXPECT_TRUE(frames.empty());
  EXPECT_EQ(decoder.buffered_bytes(), 0u);
}

TEST(Decoder, KeepsBufferingTruncatedFrame) {
  const std::string frame = "SEND\ndestination:/queue/a\ncontent-length:4\n\nbody\0"s;
  for (std::size_t cut = 1; cut < frame.size(); ++cut) {
    Decoder decoder;
    std::vector<Frame> frames;
    ASSERT_EQ(decoder.feed(std::string_view(frame).substr(0, cut), frames), DecodeError::kNone);
    EXPECT_TRUE(frames.empty()) << cut;
    EXPECT_EQ(decoder.buffered_bytes(), cut);
    ASSERT_EQ(decoder.feed(std::string_view(frame).substr(cut), frames), DecodeError::kNone);
    ASSERT_EQ(frames.size(), 1u) << cut;
    EXPECT_EQ(frames[0].body, "body");
    EXPECT_EQ(decoder.buffered_bytes(), 0u);
  }
}

TEST(Decoder, DecodesFrameSplitAtEveryByte) {
  const std::string input =
      "\r\nSEND\r\ndestination:/queue/\\c\\\\x\r\ncontent-length:5\r\nk:v:w\r\n\r\nab\0cd\0\n"
      "MESSAGE\nmessage-id:1\n\nhello\0"s;
  const Decoded whole = decode(input);
  ASSERT_EQ(whole.error, DecodeError::kNone);
  ASSERT_EQ(whole.frames.size(), 2u);
  EXPECT_EQ(whole.frames[0].get("destination"), "/queue/:\\x");
  for (std::size_t cut = 0; cut <= input.size(); ++cut) {
    Decoder decoder;
    std::vector<Frame> frames;
    ASSERT_EQ(decoder.feed(std::string_view(input).substr(0, cut), frames), DecodeError::kNone);
    ASSERT_EQ(decoder.feed(std::string_view(input).substr(cut), frames), DecodeError::kNone);
    EXPECT_TRUE(same_frames(frames, whole.frames)) << "split at " << cut;
    EXPECT_EQ(decoder.heartbeats_seen(), whole.heartbeats) << "split at " << cut;
  }
  const Decoded bytewise = decode_in_chunks(input, 1);
  EXPECT_EQ(bytewise.error, DecodeError::kNone);
  EXPECT_TRUE(same_frames(bytewise.frames, whole.frames));
}

TEST(Decoder, UnescapesNothingInVersion10) {
  const Decoded result = decode("SEND\nk\\n:a\\cb\\\\c\\t\n\n\0"s, Version::k10);
  ASSERT_EQ(result.error, DecodeError::kNone);
  EXPECT_EQ(result.frames[0].headers[0].name, "k\\n");
  EXPECT_EQ(result.frames[0].headers[0].value, "a\\cb\\\\c\\t");
}

TEST(Decoder, UnescapesVersion11Escapes) {
  const Decoded result = decode("SEND\nk\\c\\n:a\\cb\\nc\\\\d\n\n\0"s, Version::k11);
  ASSERT_EQ(result.error, DecodeError::kNone);
  EXPECT_EQ(result.frames[0].headers[0].name, "k:\n");
  EXPECT_EQ(result.frames[0].headers[0].value, "a:b\nc\\d");
}

TEST(Decoder, RejectsCarriageReturnEscapeInVersion11) {
  EXPECT_EQ(decode("SEND\nk:a\\rb\n\n\0"s, Version::k11).error, DecodeError::kBadEscape);
}

TEST(Decoder, UnescapesCarriageReturnInVersion12) {
  const Decoded result = decode("SEND\nk:a\\rb\\r\n\n\0"s, Version::k12);
  ASSERT_EQ(result.error, DecodeError::kNone);
  EXPECT_EQ(result.frames[0].get("k"), "a\rb\r");
}

TEST(Decoder, RejectsUndefinedEscapes) {
  for (const Version version : {Version::k11, Version::k12}) {
    EXPECT_EQ(decode("SEND\nk:a\\tb\n\n\0"s, version).error, DecodeError::kBadEscape);
    EXPECT_EQ(decode("SEND\nk:ab\\\n\n\0"s, version).error, DecodeError::kBadEscape);
    EXPECT_EQ(decode("SEND\nk\\:v\n\n\0"s, version).error, DecodeError::kBadEscape);
    EXPECT_EQ(decode("SEND\nk:\\C\n\n\0"s, version).error, DecodeError::kBadEscape);
  }
}

TEST(Decoder, NeverUnescapesConnectFrames) {
  for (const char* command : {"CONNECT", "STOMP", "CONNECTED"}) {
    for (const Version version : {Version::k10, Version::k11, Version::k12}) {
      const Decoded result = decode(command + "\npasscode:a\\c\\tb\\\n\n\0"s, version);
      ASSERT_EQ(result.error, DecodeError::kNone) << command;
      EXPECT_EQ(result.frames[0].get("passcode"), "a\\c\\tb\\") << command;
    }
  }
}

TEST(Decoder, AppliesNewVersionToLaterFrames) {
  Decoder decoder;
  decoder.set_version(Version::k10);
  std::vector<Frame> frames;
  ASSERT_EQ(decoder.feed("SEND\nk:a\\cb\n\n\0"s, frames), DecodeError::kNone);
  decoder.set_version(Version::k12);
  ASSERT_EQ(decoder.feed("SEND\nk:a\\cb\n\n\0"s, frames), DecodeError::kNone);
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[0].get("k"), "a\\cb");
  EXPECT_EQ(frames[1].get("k"), "a:b");
}

TEST(Decoder, RejectsHeaderWithoutColonOrName) {
  EXPECT_EQ(decode("SEND\nnocolon\n\n\0"s).error, DecodeError::kMalformedHeader);
  EXPECT_EQ(decode("SEND\n:value\n\n\0"s).error, DecodeError::kMalformedHeader);
}

TEST(Decoder, AcceptsEmptyValue) {
  const Decoded result = decode("SEND\nk:\n\n\0"s);
  ASSERT_EQ(result.error, DecodeError::kNone);
  ASSERT_NE(result.frames[0].find("k"), nullptr);
  EXPECT_EQ(*result.frames[0].find("k"), "");
}

TEST(Decoder, RejectsNulInHeaders) {
  EXPECT_EQ(decode("SEND\nk:a\0b\n\n\0"s).error, DecodeError::kMalformedHeader);
  EXPECT_EQ(decode("SEND\nk\0:v\n\n\0"s).error, DecodeError::kMalformedHeader);
  // A frame that forgot its blank line: the NUL lands in the header section.
  EXPECT_EQ(decode("DISCONNECT\n\0"s).error, DecodeError::kMalformedHeader);
}

TEST(Decoder, RejectsNulInCommandBeforeItsEol) {
  Decoder decoder;
  std::vector<Frame> frames;
  EXPECT_EQ(decoder.feed("SE\0"s, frames), DecodeError::kMalformedHeader);
  EXPECT_EQ(decode("\0"s).error, DecodeError::kMalformedHeader);
}

TEST(Decoder, RejectsInvalidUtf8InDestination) {
  const Decoded result = decode("SEND\ndestination:/queue/\xC0\xAF\n\n\0"s);
  EXPECT_EQ(result.error, DecodeError::kInvalidUtf8);
  EXPECT_TRUE(result.frames.empty());
}

TEST(Decoder, RejectsInvalidUtf8InHeaderName) {
  EXPECT_EQ(decode("SEND\n\xFF:x\n\n\0"s).error, DecodeError::kInvalidUtf8);
}

TEST(Decoder, RejectsInvalidUtf8InCommand) {
  EXPECT_EQ(decode("SEND\xFF\n\n\0"s).error, DecodeError::kInvalidUtf8);
}

TEST(Decoder, AcceptsUtf8Headers) {
  const Decoded result = decode("SEND\ndestination:/topic/\xEC\x95\x88\n\n\0"s);
  ASSERT_EQ(result.error, DecodeError::kNone);
  EXPECT_EQ(result.frames[0].get("destination"), "/topic/\xEC\x95\x88");
}

TEST(Decoder, RejectsTenThousandHeadersOverLimit) {
  std::string input = "SEND\n";
  for (int i = 0; i < 10'000; ++i) input += "h" + std::to_string(i) + ":v\n";
  input += "\n\0"s;
  DecoderLimits limits;
  limits.max_frame_bytes = 1 << 20;
  const Decoded result = decode(input, Version::k12, limits);
  EXPECT_EQ(result.error, DecodeError::kTooManyHeaders);
  EXPECT_TRUE(result.frames.empty());
}

TEST(Decoder, AcceptsTenThousandHeadersWithinLimit) {
  std::string input = "SEND\n";
  for (int i = 0; i < 10'000; ++i) input += "h" + std::to_string(i) + ":v\n";
  input += "\n\0"s;
  DecoderLimits limits;
  limits.max_frame_bytes = 1 << 20;
  limits.max_headers = 10'000;
  const Decoded result = decode_in_chunks(input, 4096, limits);
  ASSERT_EQ(result.error, DecodeError::kNone);
  ASSERT_EQ(result.frames.size(), 1u);
  EXPECT_EQ(result.frames[0].headers.size(), 10'000u);
  EXPECT_EQ(result.frames[0].headers[9'999].name, "h9999");
}

TEST(Decoder, AcceptsExactlyMaxHeaders) {
  DecoderLimits limits;
  limits.max_headers = 2;
  EXPECT_EQ(decode("SEND\na:1\nb:2\n\n\0"s, Version::k12, limits).error, DecodeError::kNone);
  EXPECT_EQ(decode("SEND\na:1\nb:2\nc:3\n\n\0"s, Version::k12, limits).error,
            DecodeError::kTooManyHeaders);
}

TEST(Decoder, RejectsHeaderLineOverLimitBeforeItsEol) {
  DecoderLimits limits;
  limits.max_header_bytes = 16;
  Decoder decoder(limits);
  std::vector<Frame> frames;
  ASSERT_EQ(decoder.feed("SEND\nname:" + std::string(11, 'v'), frames), DecodeError::kNone);
  EXPECT_EQ(decoder.feed("v", frames), DecodeError::kHeaderTooLong);
  EXPECT_EQ(decoder.buffered_bytes(), 0u);
}

TEST(Decoder, AcceptsHeaderLineAtLimitWithCrlf) {
  DecoderLimits limits;
  limits.max_header_bytes = 16;
  const std::string line = "name:" + std::string(11, 'v');  // exactly 16 bytes
  EXPECT_EQ(decode("SEND\n" + line + "\n\n\0"s, Version::k12, limits).error, DecodeError::kNone);
  EXPECT_EQ(decode("SEND\r\n" + line + "\r\n\r\n\0"s, Version::k12, limits).error,
            DecodeError::kNone);
  EXPECT_EQ(decode("SEND\n" + line + "v\n\n\0"s, Version::k12, limits).error,
            DecodeError::kHeaderTooLong);
  EXPECT_EQ(decode("SEND\n" + line + "\rx\n\n\0"s, Version::k12, limits).error,
            DecodeError::kHeaderTooLong);
  const Decoded bytewise = decode_in_chunks("SEND\r\n" + line + "\r\n\r\n\0"s, 1, limits);
  EXPECT_EQ(bytewise.error, DecodeError::kNone);
  EXPECT_EQ(bytewise.frames.size(), 1u);
}

TEST(Decoder, RejectsFrameOverLimit) {
  DecoderLimits limits;
  limits.max_frame_bytes = 32;
  const std::string fits = "SEND\ndestination:/q\n\n" + std::string(10, 'x') + "\0"s;  // 32 bytes
  ASSERT_EQ(fits.size(), 32u);
  EXPECT_EQ(decode(fits, Version::k12, limits).error, DecodeError::kNone);
  const std::string over = "SEND\ndestination:/q\n\n" + std::string(11, 'x') + "\0"s;
  EXPECT_EQ(decode(over, Version::k12, limits).error, DecodeError::kFrameTooLarge);
  EXPECT_EQ(decode_in_chunks(over, 1, limits).error, DecodeError::kFrameTooLarge);
}

TEST(Decoder, RejectsTenMegabyteFrameWhileBufferStaysBounded) {
  const DecoderLimits limits;  // 64 KiB frames
  Decoder decoder(limits);
  std::vector<Frame> frames;
  std::string input = "SEND\ndestination:/queue/big\n\n" + std::string(10 << 20, 'x') + "\0"s;
  constexpr std::size_t kChunk = 64 * 1024;
  DecodeError error = DecodeError::kNone;
  std::size_t fed = 0;
  while (fed < input.size() && error == DecodeError::kNone) {
    error = decoder.feed(std::string_view(input).substr(fed, kChunk), frames);
    fed += kChunk;
    EXPECT_LE(decoder.buffered_bytes(), limits.max_frame_bytes);
  }
  EXPECT_EQ(error, DecodeError::kFrameTooLarge);
  EXPECT_LE(fed, 2 * kChunk);  // refused as soon as the limit was crossed
  EXPECT_TRUE(frames.empty());
}

TEST(Decoder, RejectsDeclaredContentLengthOverLimitBeforeTheBody) {
  Decoder decoder;
  std::vector<Frame> frames;
  EXPECT_EQ(decoder.feed("SEND\ndestination:/q\ncontent-length:10485760\n", frames),
            DecodeError::kFrameTooLarge);
  EXPECT_EQ(decoder.buffered_bytes(), 0u);
}

TEST(Decoder, AcceptsDeclaredContentLengthThatExactlyFits) {
  DecoderLimits limits;
  limits.max_frame_bytes = 28;
  // 5 + 17 + 1 + 4 + 1 bytes.
  EXPECT_EQ(decode("SEND\ncontent-length:4\n\nabcd\0"s, Version::k12, limits).error,
            DecodeError::kNone);
  EXPECT_EQ(decode("SEND\ncontent-length:5\n\nabcde\0"s, Version::k12, limits).error,
            DecodeError::kFrameTooLarge);
}

TEST(Decoder, AcceptsTenMegabyteFrameWhenAllowed) {
  DecoderLimits limits;
  limits.max_frame_bytes = 11 << 20;
  const std::string body(10 << 20, 'x');
  const std::string input = "SEND\ndestination:/queue/big\n\n" + body + "\0"s;
  const Decoded result = decode_in_chunks(input, 64 * 1024, limits);
  ASSERT_EQ(result.error, DecodeError::kNone);
  ASSERT_EQ(result.frames.size(), 1u);
  EXPECT_EQ(result.frames[0].body.size(), body.size());
}

TEST(Decoder, WorksWithUnboundedLimits) {
  constexpr std::size_t kHuge = std::numeric_limits<std::size_t>::max();
  const DecoderLimits limits{kHuge, kHuge, kHuge};
  const Decoded result =
      decode_in_chunks("SEND\nk:v\ncontent-length:3\n\nabc\0SEND\n\nxyz\0"s, 1, limits);
  ASSERT_EQ(result.error, DecodeError::kNone);
  ASSERT_EQ(result.frames.size(), 2u);
  EXPECT_EQ(result.frames[1].body, "xyz");
  EXPECT_EQ(decode("SEND\ncontent-length:18446744073709551615\n\n"s, Version::k12, limits).error,
            DecodeError::kFrameTooLarge);
}

TEST(Decoder, DecodesLargeFrameFedByteByByteInLinearTime) {
  // Rescanning or re-copying held bytes on every feed would make this quadratic (minutes);
  // linear work takes well under a second.
  DecoderLimits limits;
  limits.max_frame_bytes = 4 << 20;
  limits.max_header_bytes = 2 << 20;
  const std::string value(1 << 20, 'v');
  const std::string body(1 << 20, 'b');
  const std::string input = "SEND\nbig:" + value + "\n\n" + body + "\0"s;
  const auto start = std::chrono::steady_clock::now();
  const Decoded result = decode_in_chunks(input, 1, limits);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_EQ(result.error, DecodeError::kNone);
  ASSERT_EQ(result.frames.size(), 1u);
  EXPECT_EQ(result.frames[0].get("big"), value);
  EXPECT_EQ(result.frames[0].body, body);
  EXPECT_LT(elapsed, std::chrono::seconds(10));
}

TEST(Decoder, Decodes64KibFrameFedByteByByte) {
  const std::string body(60 * 1024, 'b');
  const std::string input = "SEND\ndestination:/queue/a\n\n" + body + "\0"s;
  const Decoded result = decode_in_chunks(input, 1);
  ASSERT_EQ(result.error, DecodeError::kNone);
  ASSERT_EQ(result.frames.size(), 1u);
  EXPECT_EQ(result.frames[0].body, body);
}

TEST(Decoder, KeepsErrorUntilReset) {
  Decoder decoder;
  std::vector<Frame> frames;
  ASSERT_EQ(decoder.feed("BOGUS\n\n\0"s, frames), DecodeError::kUnknownCommand);
  EXPECT_EQ(decoder.error(), DecodeError::kUnknownCommand);
  EXPECT_EQ(decoder.feed("SEND\n\n\0"s, frames), DecodeError::kUnknownCommand);
  EXPECT_TRUE(frames.empty());
  decoder.reset();
  EXPECT_EQ(decoder.error(), DecodeError::kNone);
  EXPECT_EQ(decoder.feed("SEND\n\n\0"s, frames), DecodeError::kNone);
  EXPECT_EQ(frames.size(), 1u);
}

TEST(Decoder, ReturnsFramesBeforeTheError) {
  const Decoded result = decode("SEND\n\nok\0SEND\nbad\n\n\0SEND\n\nlater\0"s);
  EXPECT_EQ(result.error, DecodeError::kMalformedHeader);
  ASSERT_EQ(result.frames.size(), 1u);
  EXPECT_EQ(result.frames[0].body, "ok");
}

TEST(Decoder, ResetDropsPartialFrame) {
  Decoder decoder;
  std::vector<Frame> frames;
  ASSERT_EQ(decoder.feed("SEND\ndestination:/q\n\npart", frames), DecodeError::kNone);
  EXPECT_GT(decoder.buffered_bytes(), 0u);
  decoder.reset();
  EXPECT_EQ(decoder.buffered_bytes(), 0u);
  ASSERT_EQ(decoder.feed("ACK\nid:1\n\n\0"s, frames), DecodeError::kNone);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].command, Command::kAck);
}

TEST(Decoder, FeedOneStopsAfterTheFirstFrame) {
  Decoder decoder;
  std::vector<Frame> frames;
  const std::string input = "\n\nSEND\n\nA\0\nSEND\n\nB\0"s;
  const std::size_t used = decoder.feed_one(input, frames);
  // The heart-beats before the frame are consumed, the one after it is left for later.
  EXPECT_EQ(used, 10u);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].body, "A");
  EXPECT_EQ(decoder.heartbeats_seen(), 2u);
  EXPECT_EQ(decoder.buffered_bytes(), 0u);

  EXPECT_EQ(decoder.feed_one(std::string_view(input).substr(used), frames), input.size() - used);
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[1].body, "B");
  EXPECT_EQ(decoder.heartbeats_seen(), 3u);
}

TEST(Decoder, FeedOneConsumesEverythingWhenNoFrameCompletes) {
  Decoder decoder;
  std::vector<Frame> frames;
  EXPECT_EQ(decoder.feed_one("SEND\ndestina", frames), 12u);
  EXPECT_EQ(decoder.feed_one("tion:/a\n", frames), 8u);
  EXPECT_TRUE(frames.empty());
  EXPECT_EQ(decoder.feed_one("\nxy\0SEND"s, frames), 4u);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].get("destination"), "/a");
  EXPECT_EQ(frames[0].body, "xy");
  EXPECT_EQ(decoder.feed_one("", frames), 0u);
}

TEST(Decoder, FeedOneStopsAfterAContentLengthBody) {
  Decoder decoder;
  std::vector<Frame> frames;
  const std::string input = "SEND\ncontent-length:3\n\na\0b\0SEND\n\n\0"s;
  EXPECT_EQ(decoder.feed_one(input, frames), 27u);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].body, "a\0b"s);
}

TEST(Decoder, FeedOneLetsTheVersionChangeBeforeTheNextFrame) {
  Decoder decoder;
  decoder.set_version(Version::k10);
  std::vector<Frame> frames;
  const std::string input = "CONNECT\naccept-version:1.2\n\n\0SUBSCRIBE\nid:a\\cb\n\n\0"s;
  const std::size_t used = decoder.feed_one(input, frames);
  ASSERT_EQ(frames.size(), 1u);
  decoder.set_version(Version::k12);
  EXPECT_EQ(decoder.feed(std::string_view(input).substr(used), frames), DecodeError::kNone);
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[1].get("id"), "a:b");
}

TEST(Decoder, FeedOneConsumesEverythingOnError) {
  Decoder decoder;
  std::vector<Frame> frames;
  const std::string input = "BOGUS\n\n\0SEND\n\n\0"s;
  EXPECT_EQ(decoder.feed_one(input, frames), input.size());
  EXPECT_EQ(decoder.error(), DecodeError::kUnknownCommand);
  EXPECT_TRUE(frames.empty());
  EXPECT_EQ(decoder.feed_one("SEND\n\n\0"s, frames), 7u);
  EXPECT_TRUE(frames.empty());

  DecoderLimits limits;
  limits.max_frame_bytes = 16;
  Decoder small(limits);
  EXPECT_EQ(small.feed_one("SEND\n\n0123456789abcdef"s, frames), 22u);
  EXPECT_EQ(small.error(), DecodeError::kFrameTooLarge);
}

TEST(Decoder, DescribesEveryError) {
  EXPECT_EQ(describe(DecodeError::kFrameTooLarge), "frame too large");
  EXPECT_EQ(describe(DecodeError::kTooManyHeaders), "too many headers");
  EXPECT_EQ(describe(DecodeError::kHeaderTooLong), "header too long");
  EXPECT_EQ(describe(DecodeError::kUnknownCommand), "unknown command");
  EXPECT_EQ(describe(DecodeError::kMalformedHeader), "malformed header");
  EXPECT_EQ(describe(DecodeError::kBadEscape), "invalid header escape");
  EXPECT_EQ(describe(DecodeError::kBadContentLength), "invalid content-length");
  EXPECT_EQ(describe(DecodeError::kMissingNul), "missing NUL after body");
  EXPECT_EQ(describe(DecodeError::kInvalidUtf8), "invalid UTF-8 in command or header");
}

TEST(DecoderHostile, BareCarriageReturnInsideAHeaderIsRefused) {
  // Only CRLF ends a line; a CR left inside a value would split it for a line-based reader
  // behind us (header injection), so the frame is refused, in every version.
  for (const Version version : {Version::k10, Version::k11, Version::k12}) {
    Decoder decoder;
    decoder.set_version(version);
    std::vector<Frame> frames;
    EXPECT_EQ(decoder.feed("SEND\ndestination:/app/a\rinjected:1\n\n\0"s, frames),
              DecodeError::kBareCarriageReturn);
    EXPECT_TRUE(frames.empty());
  }
  // A CRLF line ending is still fine, and so is 1.2's escaped \r.
  Decoder decoder;
  std::vector<Frame> frames;
  EXPECT_EQ(decoder.feed("SEND\r\ndestination:/app/a\\rb\r\n\r\n\0"s, frames), DecodeError::kNone);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].get("destination"), "/app/a\rb");
}

}  // namespace
}  // namespace aicc::stomp
