// RFC 6455 framing without I/O (net/ws_frame.hpp): the accept key, the reader that reassembles
// client frames (and refuses hostile ones with the right close code, before buffering what it
// refuses), and the headers and control frames the server writes.

#include "net/ws_frame.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "util/utf8.hpp"

// Counts the bytes this thread allocates while a MemoryProbe is alive, so that the tests can
// check what the reader keeps buffered rather than trusting it. Replacing the global operator new
// affects the whole net_tests binary, but costs nothing there beyond a 16-byte header.
namespace {

struct AllocationHeader {
  std::size_t size;
  std::size_t counted;  // 1 when allocated while a probe was counting on this thread
};
static_assert(sizeof(AllocationHeader) == 16);

thread_local bool g_counting = false;
thread_local std::int64_t g_live = 0;
thread_local std::int64_t g_peak = 0;

void* allocate(std::size_t size) {
  void* block = std::malloc(size + sizeof(AllocationHeader));
  if (block == nullptr) throw std::bad_alloc();
  auto* header = static_cast<AllocationHeader*>(block);
  header->size = size;
  header->counted = g_counting ? 1 : 0;
  if (g_counting) {
    g_live += static_cast<std::int64_t>(size);
    if (g_live > g_peak) g_peak = g_live;
  }
  return header + 1;
}

void release(void* pointer) noexcept {
  if (pointer == nullptr) return;
  auto* header = static_cast<AllocationHeader*>(pointer) - 1;
  if (header->counted != 0 && g_counting) g_live -= static_cast<std::int64_t>(header->size);
  std::free(header);
}

}  // namespace

void* operator new(std::size_t size) { return allocate(size); }
void* operator new[](std::size_t size) { return allocate(size); }
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  try {
    return allocate(size);
  } catch (...) {
    return nullptr;
  }
}
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
  try {
    return allocate(size);
  } catch (...) {
    return nullptr;
  }
}
void operator delete(void* pointer) noexcept { release(pointer); }
void operator delete[](void* pointer) noexcept { release(pointer); }
void operator delete(void* pointer, std::size_t) noexcept { release(pointer); }
void operator delete[](void* pointer, std::size_t) noexcept { release(pointer); }
void operator delete(void* pointer, const std::nothrow_t&) noexcept { release(pointer); }
void operator delete[](void* pointer, const std::nothrow_t&) noexcept { release(pointer); }

namespace aicc::net {
namespace {

// While alive, counts what this thread allocates; peak() is the most held at once since start.
class MemoryProbe {
 public:
  MemoryProbe() {
    g_live = 0;
    g_peak = 0;
    g_counting = true;
  }
  ~MemoryProbe() { g_counting = false; }
  std::int64_t live() const { return g_live; }
  std::int64_t peak() const { return g_peak; }
  void reset_peak() { g_peak = g_live; }
};

// ---------------------------------------------------------------------------------------------
// Building client frames.

constexpr unsigned char kMask[4] = {0x37, 0xFA, 0x21, 0x3D};

enum class LengthForm { kShortest, k16, k64 };

// Frames are described with designated initializers that leave the rest at their defaults.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

struct FrameSpec {
  std::uint8_t opcode = 0x1;
  bool fin = true;
  std::uint8_t rsv = 0;  // the three reserved bits, 0..7
  bool masked = true;
  LengthForm form = LengthForm::kShortest;
  // When set, the header announces this length whatever the payload is.
  std::optional<std::uint64_t> announced;
};

// The header of a client frame (including the masking key when masked).
std::string client_header(const FrameSpec& spec, std::uint64_t length) {
  std::string out;
  out.push_back(
      static_cast<char>((spec.fin ? 0x80 : 0) | ((spec.rsv & 7) << 4) | (spec.opcode & 0x0F)));
  const unsigned char mask_bit = spec.masked ? 0x80 : 0;
  LengthForm form = spec.form;
  if (form == LengthForm::kShortest)
    form = length < 126     ? LengthForm::kShortest
           : length < 65536 ? LengthForm::k16
                            : LengthForm::k64;
  if (form == LengthForm::kShortest) {
    out.push_back(static_cast<char>(mask_bit | length));
  } else if (form == LengthForm::k16) {
    out.push_back(static_cast<char>(mask_bit | 126));
    out.push_back(static_cast<char>(length >> 8));
    out.push_back(static_cast<char>(length & 0xFF));
  } else {
    out.push_back(static_cast<char>(mask_bit | 127));
    for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>(length >> (56 - 8 * i)));
  }
  if (spec.masked) out.append(reinterpret_cast<const char*>(kMask), 4);
  return out;
}

std::string client_frame(const FrameSpec& spec, std::string_view payload) {
  std::string out = client_header(spec, spec.announced.value_or(payload.size()));
  for (std::size_t i = 0; i < payload.size(); ++i) {
    out.push_back(spec.masked ? static_cast<char>(payload[i] ^ kMask[i & 3]) : payload[i]);
  }
  return out;
}

std::string text(std::string_view payload, bool fin = true) {
  return client_frame({.opcode = 0x1, .fin = fin}, payload);
}
std::string binary(std::string_view payload, bool fin = true) {
  return client_frame({.opcode = 0x2, .fin = fin}, payload);
}
std::string continuation(std::string_view payload, bool fin = true) {
  return client_frame({.opcode = 0x0, .fin = fin}, payload);
}
std::string ping(std::string_view payload) { return client_frame({.opcode = 0x9}, payload); }
std::string pong(std::string_view payload) { return client_frame({.opcode = 0xA}, payload); }
std::string close_payload(std::uint16_t code, std::string_view reason = {}) {
  std::string payload;
  payload.push_back(static_cast<char>(code >> 8));
  payload.push_back(static_cast<char>(code & 0xFF));
  payload.append(reason);
  return payload;
}
std::string close(std::uint16_t code, std::string_view reason = {}) {
  return client_frame({.opcode = 0x8}, close_payload(code, reason));
}

// ---------------------------------------------------------------------------------------------
// A sink that records what it is handed, as one string per event.

struct Recorder : WsSink {
  std::vector<std::string> events;
  int stop_after = -1;  // return false from the n-th callback (0-based); -1 never
  std::size_t largest_message = 0;

  bool go_on() { return stop_after < 0 || static_cast<int>(events.size()) <= stop_after; }
  // One allocation per event, of the exact size (the fuzz test accounts for them).
  void record(std::string_view prefix, std::string_view payload) {
    std::string event;
    event.reserve(prefix.size() + payload.size());
    event.append(prefix).append(payload);
    events.push_back(std::move(event));
  }
  bool on_message(std::string_view payload, bool is_text) override {
    largest_message = std::max(largest_message, payload.size());
    record(is_text ? "text:" : "binary:", payload);
    return go_on();
  }
  bool on_ping(std::string_view payload) override {
    record("ping:", payload);
    return go_on();
  }
  bool on_close(std::uint16_t code, std::string_view reason) override {
    events.push_back("close:" + std::to_string(code) + ":" + std::string(reason));
    return go_on();
  }
};

// Feeds a copy of `bytes` (the reader unmasks in place).
bool feed(WsReader& reader, std::string_view bytes, WsSink& sink) {
  std::string copy(bytes);
  return reader.feed(copy.data(), copy.size(), sink);
}

// Feeds `bytes` in one go and expects the reader to fail with `code`, delivering nothing.
void expect_failure(std::string_view bytes, std::uint16_t code, std::size_t limit = 1 << 20) {
  WsReader reader(limit);
  Recorder sink;
  EXPECT_FALSE(feed(reader, bytes, sink));
  EXPECT_TRUE(reader.failed());
  EXPECT_EQ(reader.error_code(), code) << reader.error();
  EXPECT_FALSE(reader.error().empty());
  EXPECT_TRUE(sink.events.empty()) << sink.events.front();
  // A failed reader stays failed and reads nothing more.
  EXPECT_FALSE(feed(reader, text("after"), sink));
  EXPECT_TRUE(sink.events.empty());
}

std::string repeat(char c, std::size_t n) { return std::string(n, c); }

// ---------------------------------------------------------------------------------------------
// The accept key.

TEST(WsAcceptKey, MatchesTheExampleOfRfc6455) {
  EXPECT_EQ(websocket_accept_key("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST(WsAcceptKey, AcceptsAnyBase64Of16Bytes) {
  EXPECT_FALSE(websocket_accept_key("AAAAAAAAAAAAAAAAAAAAAA==").empty());
  EXPECT_FALSE(websocket_accept_key("/////////////////////w==").empty());
  EXPECT_FALSE(websocket_accept_key("x3JJHMbDL1EzLkh9GBhXDw==").empty());
}

TEST(WsAcceptKey, RefusesWhatIsNotTheBase64Of16Bytes) {
  for (std::string_view key : {
           "",
           "dGhlIHNhbXBsZSBub25jZQ",     // no padding
           "dGhlIHNhbXBsZSBub25jZQ=",    // 23 characters
           "dGhlIHNhbXBsZSBub25jZQ===",  // 25 characters
           "dGhlIHNhbXBsZSBub25jZSE=",   // 17 bytes
           "dGhlIHNhbXBsZSBub25j",       // 15 bytes
           "dGhlIHNhbXBsZSBub25jZ!==",   // not the base64 alphabet
           "dGhlIHNhbXBsZSBub25jZ-==",   // base64url is not base64
           "dGhlIHNhbXBsZSBub25jZQ=A",   // padding in the wrong place
           "dGhlIHNhbX Bsb25jZQAAAA==",  // a space inside
           " dGhlIHNhbXBsZSBub25jZQ==",  // 25 with a leading space
           "dGhlIHNhbXBsZSBub25jZQ==dGhlIHNhbXBsZSBub25jZQ==",
       }) {
    EXPECT_EQ(websocket_accept_key(key), "") << key;
  }
  const std::string with_nul("dGhlIHNhbXBsZSBub25j\0Q==", 24);
  EXPECT_EQ(websocket_accept_key(with_nul), "");
}

// ---------------------------------------------------------------------------------------------
// Reading well-formed frames.

TEST(WsReader, ReadsTheMaskedTextFrameOfRfc6455) {
  // RFC 6455 section 5.7: a single-frame masked text message containing "Hello".
  const unsigned char bytes[] = {0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58};
  WsReader reader(1024);
  Recorder sink;
  EXPECT_TRUE(
      feed(reader, std::string_view(reinterpret_cast<const char*>(bytes), sizeof bytes), sink));
  ASSERT_EQ(sink.events.size(), 1u);
  EXPECT_EQ(sink.events[0], "text:Hello");
  EXPECT_TRUE(reader.idle());
  EXPECT_FALSE(reader.failed());
}

TEST(WsReader, ReadsEmptyTextAndBinaryMessages) {
  WsReader reader(1024);
  Recorder sink;
  EXPECT_TRUE(feed(reader, text("") + binary(""), sink));
  EXPECT_EQ(sink.events, (std::vector<std::string>{"text:", "binary:"}));
  EXPECT_TRUE(reader.idle());
}

TEST(WsReader, Reads16BitLengths) {
  for (std::size_t size : {126u, 127u, 1000u, 65535u}) {
    WsReader reader(1 << 20);
    Recorder sink;
    const std::string payload = repeat('a', size);
    const std::string frame = text(payload);
    ASSERT_EQ(static_cast<unsigned char>(frame[1]), 0x80 | 126);
    EXPECT_TRUE(feed(reader, frame, sink));
    ASSERT_EQ(sink.events.size(), 1u) << size;
    EXPECT_EQ(sink.events[0], "text:" + payload);
    EXPECT_TRUE(reader.idle());
  }
}

TEST(WsReader, Reads64BitLengths) {
  for (std::size_t size : {65536u, 65537u, 300000u}) {
    WsReader reader(1 << 20);
    Recorder sink;
    std::string payload(size, '\0');
    for (std::size_t i = 0; i < size; ++i) payload[i] = static_cast<char>(i * 7);
    const std::string frame = binary(payload);
    ASSERT_EQ(static_cast<unsigned char>(frame[1]), 0x80 | 127);
    EXPECT_TRUE(feed(reader, frame, sink));
    ASSERT_EQ(sink.events.size(), 1u) << size;
    EXPECT_EQ(sink.events[0], "binary:" + payload);
    EXPECT_TRUE(reader.idle());
  }
}

TEST(WsReader, AcceptsAMessageOfExactlyTheLimit) {
  WsReader reader(300);
  Recorder sink;
  EXPECT_TRUE(feed(reader, text(repeat('x', 300)), sink));
  EXPECT_TRUE(feed(reader,
                   text(repeat('y', 100), false) + continuation(repeat('y', 150), false) +
                       continuation(repeat('y', 50)),
                   sink));
  ASSERT_EQ(sink.events.size(), 2u);
  EXPECT_EQ(sink.events[1], "text:" + repeat('y', 300));
}

// A stream of assorted frames, and what a reader hands on for it.
std::string assorted_stream() {
  return text("Hello") + ping("are you there?") + binary(std::string("\x00\xff\x80", 3)) +
         text("h\xC3\xA9llo w", false) + pong("unsolicited") + continuation("\xE2\x82", false) +
         ping("") + continuation("\xAC!") + text(repeat('m', 300)) + binary(repeat('b', 70000)) +
         close(1000, "bye");
}
std::vector<std::string> assorted_events() {
  return {"text:Hello",
          "ping:are you there?",
          std::string("binary:\x00\xff\x80", 10),
          "ping:",
          "text:h\xC3\xA9llo w\xE2\x82\xAC!",
          "text:" + repeat('m', 300),
          "binary:" + repeat('b', 70000),
          "close:1000:bye"};
}

TEST(WsReader, ReadsManyFramesFedAtOnce) {
  WsReader reader(1 << 20);
  Recorder sink;
  EXPECT_FALSE(feed(reader, assorted_stream(), sink));  // false: the close frame ends reading
  EXPECT_FALSE(reader.failed());
  EXPECT_EQ(sink.events, assorted_events());
}

TEST(WsReader, ReadsFramesFedOneByteAtATime) {
  const std::string stream = assorted_stream();
  WsReader reader(1 << 20);
  Recorder sink;
  for (std::size_t i = 0; i < stream.size(); ++i) {
    const bool last = i + 1 == stream.size();
    ASSERT_EQ(feed(reader, stream.substr(i, 1), sink), !last) << "byte " << i;
  }
  EXPECT_FALSE(reader.failed());
  EXPECT_EQ(sink.events, assorted_events());
}

TEST(WsReader, ReadsFramesSplitAtEveryBoundary) {
  // A shorter stream (the 70000-byte frame would make this quadratic), split in two at every
  // byte, and in three at every pair of bytes a prime distance apart.
  const std::string stream = text("Hello") + ping("p!") + text("ab", false) +
                             continuation("c", false) + continuation("d") +
                             binary(repeat('z', 200)) + close(1001);
  const std::vector<std::string> expected = {"text:Hello", "ping:p!", "text:abcd",
                                             "binary:" + repeat('z', 200), "close:1001:"};
  for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
    WsReader reader(1 << 20);
    Recorder sink;
    const bool first = feed(reader, stream.substr(0, cut), sink);
    EXPECT_EQ(first, cut != stream.size()) << "cut " << cut;
    if (first) {
      EXPECT_FALSE(feed(reader, stream.substr(cut), sink)) << "cut " << cut;
    }
    EXPECT_FALSE(reader.failed()) << "cut " << cut;
    EXPECT_EQ(sink.events, expected) << "cut " << cut;
  }
  for (std::size_t a = 0; a + 13 < stream.size(); ++a) {
    WsReader reader(1 << 20);
    Recorder sink;
    ASSERT_TRUE(feed(reader, stream.substr(0, a), sink));
    ASSERT_TRUE(feed(reader, stream.substr(a, 13), sink));
    feed(reader, stream.substr(a + 13), sink);
    EXPECT_EQ(sink.events, expected) << "cuts " << a << ", " << a + 13;
  }
}

TEST(WsReader, ReassemblesAFragmentedMessageAroundControlFrames) {
  WsReader reader(1024);
  Recorder sink;
  EXPECT_TRUE(feed(reader, text("Hel", false), sink));
  EXPECT_TRUE(sink.events.empty());
  EXPECT_FALSE(reader.idle());
  EXPECT_TRUE(feed(reader, ping("ping in between"), sink));
  EXPECT_EQ(sink.events, std::vector<std::string>{"ping:ping in between"});
  EXPECT_TRUE(feed(reader, continuation("lo ", false) + pong("x") + continuation("", false), sink));
  EXPECT_TRUE(feed(reader, continuation("world"), sink));
  EXPECT_EQ(sink.events, (std::vector<std::string>{"ping:ping in between", "text:Hello world"}));
  EXPECT_TRUE(reader.idle());
  // And a fragmented binary message after it.
  EXPECT_TRUE(feed(reader, binary("\xff", false) + continuation("\xfe"), sink));
  EXPECT_EQ(sink.events.back(), "binary:\xff\xfe");
}

TEST(WsReader, IgnoresPongs) {
  WsReader reader(1024);
  Recorder sink;
  EXPECT_TRUE(feed(reader, pong("") + pong(repeat('p', 125)), sink));
  EXPECT_TRUE(sink.events.empty());
  EXPECT_TRUE(reader.idle());
}

TEST(WsReader, ReportsCloseCodesAndReasons) {
  for (std::uint16_t code :
       {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999}) {
    WsReader reader(1024);
    Recorder sink;
    EXPECT_FALSE(feed(reader, close(code, "r\xC3\xA9"), sink));
    EXPECT_FALSE(reader.failed()) << code;
    EXPECT_EQ(sink.events,
              std::vector<std::string>{"close:" + std::to_string(code) + ":r\xC3\xA9"});
  }
  WsReader reader(1024);
  Recorder sink;
  EXPECT_FALSE(feed(reader, client_frame({.opcode = 0x8}, ""), sink));
  EXPECT_FALSE(reader.failed());
  EXPECT_EQ(sink.events, std::vector<std::string>{"close:1005:"});
}

TEST(WsReader, DeliversNothingAfterACloseFrame) {
  WsReader reader(1024);
  Recorder sink;
  EXPECT_FALSE(feed(reader, text("before") + close(1000) + text("after") + ping("after"), sink));
  EXPECT_EQ(sink.events, (std::vector<std::string>{"text:before", "close:1000:"}));
  EXPECT_FALSE(feed(reader, text("later"), sink));
  EXPECT_FALSE(feed(reader, close(1000), sink));
  EXPECT_EQ(sink.events.size(), 2u);
  EXPECT_FALSE(reader.failed());
}

TEST(WsReader, StopsWhenTheSinkSaysSo) {
  WsReader reader(1024);
  Recorder sink;
  sink.stop_after = 1;
  EXPECT_FALSE(feed(reader, text("one") + text("two") + text("three"), sink));
  EXPECT_EQ(sink.events, (std::vector<std::string>{"text:one", "text:two"}));
  EXPECT_FALSE(reader.failed());
  EXPECT_FALSE(feed(reader, text("four"), sink));
  EXPECT_EQ(sink.events.size(), 2u);
}

TEST(WsReader, IsIdleOnlyBetweenWholeFramesAndMessages) {
  WsReader reader(1024);
  Recorder sink;
  EXPECT_TRUE(reader.idle());
  const std::string frame = text("Hello");
  for (std::size_t i = 0; i + 1 < frame.size(); ++i) {
    ASSERT_TRUE(feed(reader, frame.substr(i, 1), sink));
    EXPECT_FALSE(reader.idle()) << "after byte " << i;
  }
  ASSERT_TRUE(feed(reader, frame.substr(frame.size() - 1), sink));
  EXPECT_TRUE(reader.idle());
  ASSERT_TRUE(feed(reader, text("", false), sink));  // an open message, even an empty one
  EXPECT_FALSE(reader.idle());
  ASSERT_TRUE(feed(reader, ping("x"), sink));
  EXPECT_FALSE(reader.idle());
  ASSERT_TRUE(feed(reader, continuation("", false), sink));
  EXPECT_FALSE(reader.idle());
  ASSERT_TRUE(feed(reader, continuation("end"), sink));
  EXPECT_TRUE(reader.idle());
  ASSERT_TRUE(feed(reader, text("a") + text("b").substr(0, 3), sink));
  EXPECT_FALSE(reader.idle());
  EXPECT_EQ(sink.events, (std::vector<std::string>{"text:Hello", "ping:x", "text:end", "text:a"}));
}

// Once reading ends (a close frame, a sink that says stop, a broken frame), nothing more will be
// read, so the reader keeps nothing: not the rest of a frame that arrived in pieces, not the
// fragments of an open message.
TEST(WsReader, KeepsNothingOnceReadingEnds) {
  const std::string closing = close(1000, "bye");
  for (const std::string& rest : {closing, text("x") + closing}) {
    WsReader reader(1024);
    Recorder sink;
    ASSERT_TRUE(feed(reader, text("open", false) + rest.substr(0, 3), sink));
    EXPECT_FALSE(feed(reader, rest.substr(3), sink));
    EXPECT_TRUE(reader.idle());
  }
  WsReader stopped(1024);
  Recorder sink;
  sink.stop_after = 0;
  const std::string two = ping("a") + ping("b");
  ASSERT_TRUE(feed(stopped, text("open", false) + two.substr(0, 4), sink));
  EXPECT_FALSE(feed(stopped, two.substr(4), sink));
  EXPECT_EQ(sink.events, (std::vector<std::string>{"ping:a"}));
  EXPECT_TRUE(stopped.idle());

  WsReader broken(1024);
  ASSERT_TRUE(feed(broken, text("open", false), sink));
  EXPECT_FALSE(feed(broken, text("a new message inside the open one"), sink));
  EXPECT_TRUE(broken.failed());
  EXPECT_TRUE(broken.idle());
}

TEST(WsReader, GivesBackTheMemoryOfALargeFrame) {
  WsReader reader(1 << 20);
  Recorder sink;
  const std::string frame = binary(repeat('q', 200000));
  MemoryProbe probe;
  const std::int64_t before = probe.live();
  for (std::size_t at = 0; at < frame.size(); at += 4096) {
    std::string piece = frame.substr(at, 4096);
    ASSERT_TRUE(reader.feed(piece.data(), piece.size(), sink));
  }
  // The probe sees the partial frame the reader had to hold (and the sink's copy)...
  EXPECT_GT(probe.peak() - before, 200000);
  EXPECT_EQ(sink.events.size(), 1u);
  EXPECT_TRUE(reader.idle());
  // ...and what the reader holds once idle again: nothing (the sink's copy is the Recorder's).
  sink.events.clear();
  sink.events.shrink_to_fit();
  EXPECT_LE(probe.live() - before, 0);
}

// ---------------------------------------------------------------------------------------------
// Hostile input: each with its close code, nothing delivered.

TEST(WsReaderHostile, RefusesUnmaskedFrames) {
  expect_failure(client_frame({.opcode = 0x1, .masked = false}, "Hello"), kCloseProtocolError);
  expect_failure(client_frame({.opcode = 0x9, .masked = false}, ""), kCloseProtocolError);
  expect_failure(client_frame({.opcode = 0x8, .masked = false}, close_payload(1000)),
                 kCloseProtocolError);
  // Refused from the first two bytes: the rest is not waited for.
  expect_failure(client_frame({.opcode = 0x1, .masked = false}, "Hello").substr(0, 2),
                 kCloseProtocolError);
}

TEST(WsReaderHostile, RefusesReservedBits) {
  for (std::uint8_t rsv = 1; rsv < 8; ++rsv) {
    expect_failure(client_frame({.opcode = 0x1, .rsv = rsv}, "Hello"), kCloseProtocolError);
    expect_failure(client_frame({.opcode = 0x9, .rsv = rsv}, ""), kCloseProtocolError);
  }
}

TEST(WsReaderHostile, RefusesUnknownOpcodes) {
  for (std::uint8_t opcode : {0x3, 0x4, 0x5, 0x6, 0x7, 0xB, 0xC, 0xD, 0xE, 0xF}) {
    expect_failure(client_frame({.opcode = opcode}, "x"), kCloseProtocolError);
    expect_failure(client_frame({.opcode = opcode}, ""), kCloseProtocolError);
  }
  // Also in the middle of a fragmented message.
  expect_failure(text("a", false) + client_frame({.opcode = 0x3}, "x"), kCloseProtocolError);
}

TEST(WsReaderHostile, RefusesFragmentedControlFrames) {
  for (std::uint8_t opcode : {0x8, 0x9, 0xA}) {
    expect_failure(client_frame({.opcode = opcode, .fin = false}, ""), kCloseProtocolError);
    expect_failure(client_frame({.opcode = opcode, .fin = false}, "ab"), kCloseProtocolError);
  }
}

TEST(WsReaderHostile, RefusesControlFramesOver125Bytes) {
  for (std::uint8_t opcode : {0x8, 0x9, 0xA}) {
    expect_failure(client_frame({.opcode = opcode}, repeat('c', 126)), kCloseProtocolError);
    // Even when the payload never arrives.
    expect_failure(client_header({.opcode = opcode}, 126), kCloseProtocolError);
    expect_failure(client_header({.opcode = opcode}, 1u << 20), kCloseProtocolError);
  }
}

TEST(WsReaderHostile, RefusesContinuationWithoutAMessage) {
  expect_failure(continuation("orphan"), kCloseProtocolError);
  expect_failure(continuation("orphan", false), kCloseProtocolError);
  // After a complete message, a continuation has nothing to continue.
  WsReader reader(1024);
  Recorder sink;
  EXPECT_FALSE(feed(reader, text("whole") + continuation("late"), sink));
  EXPECT_EQ(reader.error_code(), kCloseProtocolError);
  EXPECT_EQ(sink.events, std::vector<std::string>{"text:whole"});
}

TEST(WsReaderHostile, RefusesANewMessageInsideAFragmentedOne) {
  expect_failure(text("a", false) + text("b"), kCloseProtocolError);
  expect_failure(text("a", false) + text("b", false), kCloseProtocolError);
  expect_failure(binary("a", false) + binary("b"), kCloseProtocolError);
  expect_failure(binary("a", false) + text("b"), kCloseProtocolError);
  expect_failure(text("a", false) + continuation("b", false) + binary("c"), kCloseProtocolError);
}

TEST(WsReaderHostile, RefusesLengthsNotInTheirShortestForm) {
  expect_failure(client_frame({.opcode = 0x1, .form = LengthForm::k16}, ""), kCloseProtocolError);
  expect_failure(client_frame({.opcode = 0x1, .form = LengthForm::k16}, repeat('a', 125)),
                 kCloseProtocolError);
  expect_failure(client_frame({.opcode = 0x1, .form = LengthForm::k64}, ""), kCloseProtocolError);
  expect_failure(client_frame({.opcode = 0x1, .form = LengthForm::k64}, repeat('a', 126)),
                 kCloseProtocolError);
  expect_failure(client_frame({.opcode = 0x2, .form = LengthForm::k64}, repeat('a', 65535)),
                 kCloseProtocolError);
  expect_failure(client_frame({.opcode = 0x9, .form = LengthForm::k16}, "p"), kCloseProtocolError);
}

TEST(WsReaderHostile, RefusesA64BitLengthWithTheTopBitSet) {
  for (std::uint64_t length :
       {std::uint64_t{1} << 63, ~std::uint64_t{0}, (std::uint64_t{1} << 63) + 5}) {
    expect_failure(client_header({.opcode = 0x2, .form = LengthForm::k64}, length),
                   kCloseProtocolError);
    expect_failure(client_header({.opcode = 0x2, .form = LengthForm::k64}, length) + "abc",
                   kCloseProtocolError);
  }
}

TEST(WsReaderHostile, RefusesAMessageOverTheLimitFromItsHeaderAlone) {
  constexpr std::size_t kLimit = 1000;
  // The header announces more than the limit: refused on the header, before any payload (and
  // before the masking key: the 2-, 4- or 10-byte length prefix is enough).
  for (std::uint64_t length : {std::uint64_t{1001}, std::uint64_t{65535}, std::uint64_t{65536},
                               std::uint64_t{1} << 40, (std::uint64_t{1} << 63) - 1}) {
    const std::string header = client_header({.opcode = 0x2}, length);
    expect_failure(header, kCloseTooBig, kLimit);
    expect_failure(header.substr(0, header.size() - 4), kCloseTooBig, kLimit);
    expect_failure(client_header({.opcode = 0x1, .fin = false}, length), kCloseTooBig, kLimit);
  }
  // A small limit, with a 7-bit length.
  expect_failure(client_header({.opcode = 0x1}, 11).substr(0, 2), kCloseTooBig, 10);
  // Fed byte by byte, it fails on the last byte of the length and keeps (almost) nothing.
  WsReader reader(kLimit);
  Recorder sink;
  const std::string header = client_header({.opcode = 0x2}, std::uint64_t{1} << 40);
  MemoryProbe probe;
  for (std::size_t i = 0; i < 9; ++i) ASSERT_TRUE(feed(reader, header.substr(i, 1), sink)) << i;
  EXPECT_FALSE(feed(reader, header.substr(9, 1), sink));
  EXPECT_EQ(reader.error_code(), kCloseTooBig);
  EXPECT_LT(probe.peak(), 256);
}

TEST(WsReaderHostile, RefusesFragmentsAddingUpOverTheLimit) {
  constexpr std::size_t kLimit = 100;
  expect_failure(text(repeat('a', 60), false) + continuation(repeat('b', 41)), kCloseTooBig,
                 kLimit);
  expect_failure(binary(repeat('a', 100), false) + continuation("", false) + continuation("x"),
                 kCloseTooBig, kLimit);
  // Refused on the header of the fragment that crosses the limit, without its payload.
  WsReader reader(kLimit);
  Recorder sink;
  ASSERT_TRUE(feed(reader, text(repeat('a', 60), false), sink));
  ASSERT_TRUE(feed(reader, continuation(repeat('b', 40), false), sink));
  EXPECT_FALSE(feed(reader, client_header({.opcode = 0x0}, 1).substr(0, 2), sink));
  EXPECT_EQ(reader.error_code(), kCloseTooBig);
  EXPECT_TRUE(sink.events.empty());
}

TEST(WsReaderHostile, RefusesTextThatIsNotUtf8) {
  for (std::string_view bad : {
           std::string_view("\xC3\x28"),              // bad continuation
           std::string_view("\xC0\xAF"),              // overlong '/'
           std::string_view("\xE0\x80\xAF"),          // overlong, 3 bytes
           std::string_view("\xED\xA0\x80"),          // surrogate U+D800
           std::string_view("\xF4\x90\x80\x80"),      // past U+10FFFF
           std::string_view("\xF8\x88\x80\x80\x80"),  // 5-byte form
           std::string_view("\xFF"),
           std::string_view("abc\xE2\x82"),  // truncated at the end
           std::string_view("\x80"),         // stray continuation
       }) {
    expect_failure(text(bad), kCloseInvalidPayload);
    expect_failure(text("ok", false) + continuation(bad), kCloseInvalidPayload);
  }
}

TEST(WsReaderHostile, ChecksUtf8AcrossFragments) {
  // A valid sequence split between fragments is fine...
  WsReader reader(1024);
  Recorder sink;
  EXPECT_TRUE(
      feed(reader, text("\xE2", false) + continuation("\x82", false) + continuation("\xAC"), sink));
  EXPECT_TRUE(feed(reader, text("\xF0\x9F", false) + continuation("\x98\x80"), sink));
  EXPECT_EQ(sink.events, (std::vector<std::string>{"text:\xE2\x82\xAC", "text:\xF0\x9F\x98\x80"}));
  // ...an invalid one is not, nor one left unfinished by the last fragment.
  expect_failure(text("\xE2\x82", false) + continuation("\x28"), kCloseInvalidPayload);
  expect_failure(text("ok", false) + continuation("\xE2\x82"), kCloseInvalidPayload);
  expect_failure(text("\xED", false) + continuation("\xA0\x80"), kCloseInvalidPayload);
}

TEST(WsReaderHostile, LetsBinaryMessagesCarryAnyBytes) {
  WsReader reader(1024);
  Recorder sink;
  EXPECT_TRUE(feed(reader, binary("\xC3\x28\xFF\xED\xA0\x80"), sink));
  EXPECT_TRUE(feed(reader, binary("\xE2\x82", false) + continuation("\x28"), sink));
  EXPECT_EQ(sink.events,
            (std::vector<std::string>{"binary:\xC3\x28\xFF\xED\xA0\x80", "binary:\xE2\x82\x28"}));
}

TEST(WsReaderHostile, RefusesACloseFrameWithAOneBytePayload) {
  expect_failure(client_frame({.opcode = 0x8}, "\x03"), kCloseProtocolError);
}

TEST(WsReaderHostile, RefusesInvalidCloseCodes) {
  for (std::uint16_t code :
       {0, 1, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535}) {
    SCOPED_TRACE(code);
    expect_failure(close(code), kCloseProtocolError);
    expect_failure(close(code, "why"), kCloseProtocolError);
  }
}

TEST(WsReaderHostile, RefusesACloseReasonThatIsNotUtf8) {
  expect_failure(close(1000, "\xC3\x28"), kCloseInvalidPayload);
  expect_failure(close(1000, "ok\xE2\x82"), kCloseInvalidPayload);
  expect_failure(close(4000, "\xED\xA0\x80"), kCloseInvalidPayload);
}

TEST(WsReaderHostile, DeliversWhatCameBeforeTheFault) {
  WsReader reader(1024);
  Recorder sink;
  EXPECT_FALSE(feed(reader,
                    text("fine") + ping("fine too") +
                        client_frame({.opcode = 0x1, .masked = false}, "bad") + text("never"),
                    sink));
  EXPECT_EQ(sink.events, (std::vector<std::string>{"text:fine", "ping:fine too"}));
  EXPECT_EQ(reader.error_code(), kCloseProtocolError);
}

// ---------------------------------------------------------------------------------------------
// What the server writes.

std::string header_of(WsOpcode opcode, std::uint64_t length) {
  char out[10];
  const std::size_t n = write_frame_header(out, opcode, length);
  return std::string(out, n);
}

TEST(WsWriter, WritesHeadersInTheShortestForm) {
  EXPECT_EQ(header_of(WsOpcode::kText, 0), std::string("\x81\x00", 2));
  EXPECT_EQ(header_of(WsOpcode::kText, 1), std::string("\x81\x01", 2));
  EXPECT_EQ(header_of(WsOpcode::kText, 125), std::string("\x81\x7D", 2));
  EXPECT_EQ(header_of(WsOpcode::kText, 126), std::string("\x81\x7E\x00\x7E", 4));
  EXPECT_EQ(header_of(WsOpcode::kText, 65535), std::string("\x81\x7E\xFF\xFF", 4));
  EXPECT_EQ(header_of(WsOpcode::kText, 65536),
            std::string("\x81\x7F\x00\x00\x00\x00\x00\x01\x00\x00", 10));
  EXPECT_EQ(header_of(WsOpcode::kBinary, 0x0102030405060708ULL),
            std::string("\x82\x7F\x01\x02\x03\x04\x05\x06\x07\x08", 10));
  EXPECT_EQ(header_of(WsOpcode::kClose, 2), std::string("\x88\x02", 2));
  EXPECT_EQ(header_of(WsOpcode::kPing, 0), std::string("\x89\x00", 2));
  EXPECT_EQ(header_of(WsOpcode::kPong, 5), std::string("\x8A\x05", 2));
}

// Parses a server frame (unmasked, FIN set, one frame): opcode and payload.
std::pair<std::uint8_t, std::string> parse_server_frame(std::string_view frame) {
  EXPECT_GE(frame.size(), 2u);
  const auto* bytes = reinterpret_cast<const unsigned char*>(frame.data());
  EXPECT_EQ(bytes[0] & 0xF0, 0x80);
  EXPECT_EQ(bytes[1] & 0x80, 0) << "server frames are not masked";
  std::size_t length = bytes[1] & 0x7F;
  EXPECT_LT(length, 126u) << "control frames use the 7-bit length";
  EXPECT_EQ(frame.size(), 2 + length);
  return {static_cast<std::uint8_t>(bytes[0] & 0x0F), std::string(frame.substr(2))};
}

TEST(WsWriter, WritesControlFrames) {
  auto [opcode, payload] = parse_server_frame(control_frame(WsOpcode::kPong, "echo"));
  EXPECT_EQ(opcode, 0xA);
  EXPECT_EQ(payload, "echo");
  std::tie(opcode, payload) = parse_server_frame(control_frame(WsOpcode::kPing, ""));
  EXPECT_EQ(opcode, 0x9);
  EXPECT_EQ(payload, "");
  std::tie(opcode, payload) = parse_server_frame(control_frame(WsOpcode::kPing, repeat('p', 400)));
  EXPECT_EQ(payload, repeat('p', 125));
}

TEST(WsWriter, WritesCloseFrames) {
  auto [opcode, payload] = parse_server_frame(close_frame(1002, "client frames must be masked"));
  EXPECT_EQ(opcode, 0x8);
  EXPECT_EQ(payload, std::string("\x03\xEA") + "client frames must be masked");
  std::tie(opcode, payload) = parse_server_frame(close_frame(1000, ""));
  EXPECT_EQ(payload, std::string("\x03\xE8", 2));
  std::tie(opcode, payload) = parse_server_frame(close_frame(4999, repeat('r', 500)));
  EXPECT_EQ(payload, std::string("\x13\x87", 2) + repeat('r', 123));
}

TEST(WsWriter, CutsLongCloseReasonsBetweenCharacters) {
  // Every alignment of 2-, 3- and 4-byte characters against the 123-byte cut.
  for (std::string_view character : {"\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80"}) {
    for (std::size_t prefix = 0; prefix < 4; ++prefix) {
      std::string reason = repeat('a', prefix);
      while (reason.size() < 200) reason.append(character);
      const auto [opcode, payload] = parse_server_frame(close_frame(1001, reason));
      ASSERT_GE(payload.size(), 2u);
      const std::string_view cut = std::string_view(payload).substr(2);
      EXPECT_LE(cut.size(), 123u);
      EXPECT_GT(cut.size(), 123u - character.size());
      EXPECT_TRUE(util::is_valid_utf8(cut))
          << "prefix " << prefix << ", character of " << character.size();
      EXPECT_EQ(reason.substr(0, cut.size()), cut);
    }
  }
}

TEST(WsWriter, CloseFramesReadBackThroughTheReader) {
  // What the server writes, masked as a client would, reads back as the same code and reason.
  const std::string reason = "fin de la conversation \xE2\x80\x94 merci";
  const std::string frame = close_frame(1000, reason);
  std::string masked = client_header({.opcode = 0x8}, frame.size() - 2);
  for (std::size_t i = 2; i < frame.size(); ++i)
    masked.push_back(static_cast<char>(frame[i] ^ kMask[(i - 2) & 3]));
  WsReader reader(1024);
  Recorder sink;
  EXPECT_FALSE(feed(reader, masked, sink));
  EXPECT_FALSE(reader.failed());
  EXPECT_EQ(sink.events, std::vector<std::string>{"close:1000:" + reason});
}

// ---------------------------------------------------------------------------------------------
// Random input: never a crash, never more buffered than the limit allows.

// A plausible frame with random choices in it: mostly well-formed, sometimes not.
std::string random_frame(std::mt19937& random, std::size_t limit) {
  auto pick = [&](int n) { return static_cast<int>(random() % static_cast<unsigned>(n)); };
  static constexpr std::uint8_t kOpcodes[] = {0x0, 0x1, 0x2, 0x8, 0x9, 0xA, 0x0,
                                              0x1, 0x2, 0x9, 0x3, 0xB, 0xF};
  FrameSpec spec;
  spec.opcode = kOpcodes[pick(sizeof kOpcodes)];
  spec.fin = pick(3) != 0;
  spec.rsv = pick(20) == 0 ? static_cast<std::uint8_t>(1 + pick(7)) : 0;
  spec.masked = pick(20) != 0;
  const int form = pick(10);
  spec.form = form < 7 ? LengthForm::kShortest : form < 9 ? LengthForm::k16 : LengthForm::k64;
  std::size_t length;
  switch (pick(6)) {
    case 0:
      length = 0;
      break;
    case 1:
      length = static_cast<std::size_t>(pick(126));
      break;
    case 2:
      length = static_cast<std::size_t>(pick(static_cast<int>(limit) + 2));
      break;
    case 3:
      length = limit + static_cast<std::size_t>(pick(3));
      break;
    default:
      length = static_cast<std::size_t>(pick(40));
      break;
  }
  if (pick(30) == 0) spec.announced = (std::uint64_t{random()} << 32) | random();
  std::string payload(length, '\0');
  const bool utf8 = pick(2) == 0;
  for (auto& c : payload)
    c = utf8 ? static_cast<char>('a' + pick(26)) : static_cast<char>(random());
  if (spec.opcode == 0x8 && pick(2) == 0 && payload.size() >= 2) {
    payload[0] = static_cast<char>(0x03);
    payload[1] = static_cast<char>(0xE8);
  }
  std::string frame = client_frame(spec, payload);
  if (pick(10) == 0)
    frame.resize(static_cast<std::size_t>(pick(static_cast<int>(frame.size()) + 1)));
  return frame;
}

TEST(WsReaderFuzz, NeverCrashesNorBuffersMoreThanTheLimit) {
  std::mt19937 random(20240611);
  static constexpr std::size_t kLimits[] = {0, 1, 125, 126, 1000, 70000};
  int failures = 0;
  int closes = 0;
  int messages = 0;
  for (int iteration = 0; iteration < 4000; ++iteration) {
    const std::size_t limit = kLimits[random() % std::size(kLimits)];
    std::string stream;
    const int kind = static_cast<int>(random() % 4);
    const int frames = 1 + static_cast<int>(random() % 8);
    for (int f = 0; f < frames; ++f) {
      if (kind == 0) {
        // Pure noise.
        const std::size_t n = random() % 64;
        for (std::size_t i = 0; i < n; ++i) stream.push_back(static_cast<char>(random()));
      } else {
        stream += random_frame(random, limit);
        if (kind == 3 && random() % 4 == 0) stream.push_back(static_cast<char>(random()));
      }
    }
    WsReader reader(limit);
    Recorder sink;
    sink.events.reserve(256);  // no vector growth inside the measurement
    bool stopped = false;
    std::int64_t worst = 0;
    std::size_t largest_chunk = 0;
    {
      MemoryProbe probe;
      std::size_t at = 0;
      while (at < stream.size()) {
        const std::size_t chunk = std::min<std::size_t>(stream.size() - at, 1 + random() % 3000);
        largest_chunk = std::max(largest_chunk, chunk);
        std::string piece = stream.substr(at, chunk);
        at += chunk;
        const std::int64_t sink_bytes_before = probe.live();
        probe.reset_peak();
        const std::size_t events_before = sink.events.size();
        const bool ok = reader.feed(piece.data(), piece.size(), sink);
        // The reader's own share: the peak during feed, less what the sink kept, less the chunk.
        std::int64_t kept_by_sink = 0;
        for (std::size_t e = events_before; e < sink.events.size(); ++e) {
          kept_by_sink += static_cast<std::int64_t>(sink.events[e].capacity() + 1);
        }
        worst = std::max(worst, probe.peak() - sink_bytes_before - kept_by_sink);
        if (stopped) {
          ASSERT_FALSE(ok) << "iteration " << iteration;
          ASSERT_EQ(sink.events.size(), events_before) << "iteration " << iteration;
        }
        if (ok) {
          ASSERT_FALSE(reader.failed());
        } else {
          stopped = true;
        }
      }
    }
    if (reader.failed()) {
      ++failures;
      const auto code = reader.error_code();
      ASSERT_TRUE(code == kCloseProtocolError || code == kCloseInvalidPayload ||
                  code == kCloseTooBig)
          << "iteration " << iteration << ": " << code;
    }
    for (const auto& event : sink.events) {
      if (event.starts_with("close:")) ++closes;
      if (event.starts_with("text:")) {
        ++messages;
        ASSERT_TRUE(util::is_valid_utf8(std::string_view(event).substr(5)));
      }
    }
    ASSERT_LE(sink.largest_message, limit) << "iteration " << iteration;
    // A partial frame (header + at most the limit) and the chunk after it, plus the fragments
    // of one message (at most the limit), with string growth: never in proportion to what a
    // header announces.
    const std::int64_t bound =
        static_cast<std::int64_t>(2 * (limit + 14 + largest_chunk) + 2 * limit + 512);
    ASSERT_LE(worst, bound) << "iteration " << iteration << ", limit " << limit;
  }
  // The generator reaches all three outcomes.
  EXPECT_GT(failures, 100);
  EXPECT_GT(closes, 10);
  EXPECT_GT(messages, 100);
}

}  // namespace
}  // namespace aicc::net
