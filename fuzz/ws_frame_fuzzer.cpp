// libFuzzer target for the WebSocket frame reader and writer (net/ws_frame.hpp).
//
// Input layout: the first byte picks the configuration, the rest is what a client sent.
//   bit 0:    tiny limit (messages of at most 64 bytes) instead of 64 KiB, to reach "too big"
//   bits 1-2: the sink stops reading after 1, 2 or 3 events (0: never), as a session does when
//             its connection ends
// So a seed starting with '0' is a stream under the 64 KiB limit with a sink that never stops,
// '1' the same under the tiny limit.
//
// Besides the sanitizers, it checks that
//   - the stream split in two (at a position derived from the data), and a short stream fed one
//     byte at a time, give exactly the events and final state of the whole;
//   - messages respect the limit, text messages and close reasons are valid UTF-8, close codes
//     are ones a peer may send, a failure has a close code and a reason and ends all reading;
//   - every message and ping read comes back unchanged when written again as a client frame (one
//     frame or two fragments, masked with a key from the data), and as a server frame from
//     write_frame_header(), control_frame() and close_frame() once masked with a zero key.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.hpp"
#include "net/ws_frame.hpp"
#include "util/utf8.hpp"

namespace {

using aicc::net::WsOpcode;
using aicc::net::WsReader;
using aicc::net::WsSink;

struct Event {
  char kind = 0;  // 'm' message, 'p' ping, 'c' close
  bool text = false;
  std::uint16_t code = 0;
  std::string payload;
  bool operator==(const Event&) const = default;
};

struct Outcome {
  std::vector<Event> events;
  bool failed = false;
  std::uint16_t error_code = 0;
  std::string error;
  bool idle = false;
  bool operator==(const Outcome&) const = default;
};

class Recorder : public WsSink {
 public:
  explicit Recorder(std::size_t stop_after) : stop_after_(stop_after) {}
  bool on_message(std::string_view payload, bool text) override {
    return add(Event{'m', text, 0, std::string(payload)});
  }
  bool on_ping(std::string_view payload) override {
    return add(Event{'p', false, 0, std::string(payload)});
  }
  bool on_close(std::uint16_t code, std::string_view reason) override {
    return add(Event{'c', false, code, std::string(reason)});
  }
  std::vector<Event> events;

 private:
  bool add(Event event) {
    events.push_back(std::move(event));
    return stop_after_ == 0 || events.size() < stop_after_;
  }
  std::size_t stop_after_;
};

bool valid_peer_close_code(std::uint16_t code) {
  return code == 1005 || (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1011) ||
         (code >= 3000 && code <= 4999);
}

Outcome read(const std::vector<std::string_view>& pieces, std::size_t max_message,
             std::size_t stop_after) {
  WsReader reader(max_message);
  Recorder sink(stop_after);
  bool reading = true;
  for (const std::string_view piece : pieces) {
    std::string bytes(piece);  // the reader unmasks in place
    const std::size_t before = sink.events.size();
    const bool went_on = reader.feed(bytes.data(), bytes.size(), sink);
    if (!reading) {
      // Once reading stopped, nothing more is read.
      FUZZ_CHECK(!went_on);
      FUZZ_CHECK(sink.events.size() == before);
    }
    reading = reading && went_on;
  }
  Outcome outcome;
  outcome.events = std::move(sink.events);
  outcome.failed = reader.failed();
  outcome.error_code = reader.error_code();
  outcome.error = std::string(reader.error());
  outcome.idle = reader.idle();
  return outcome;
}

void check_events(const Outcome& outcome, std::size_t max_message) {
  for (const Event& event : outcome.events) {
    switch (event.kind) {
      case 'm':
        FUZZ_CHECK(event.payload.size() <= max_message);
        FUZZ_CHECK(!event.text || aicc::util::is_valid_utf8(event.payload));
        break;
      case 'p':
        FUZZ_CHECK(event.payload.size() <= 125);
        break;
      case 'c':
        FUZZ_CHECK(valid_peer_close_code(event.code));
        FUZZ_CHECK(event.payload.size() <= 123);
        FUZZ_CHECK(aicc::util::is_valid_utf8(event.payload));
        FUZZ_CHECK(event.code != 1005 || event.payload.empty());
        break;
      default:
        FUZZ_CHECK(false);
    }
  }
  if (outcome.failed) {
    FUZZ_CHECK(outcome.error_code == aicc::net::kCloseProtocolError ||
               outcome.error_code == aicc::net::kCloseInvalidPayload ||
               outcome.error_code == aicc::net::kCloseTooBig);
    FUZZ_CHECK(!outcome.error.empty());
    FUZZ_CHECK(outcome.idle);  // a failed reader keeps nothing
  }
}

// A client frame: FIN as given, the shortest length form, masked with `key`.
std::string client_frame(WsOpcode opcode, bool fin, std::string_view payload,
                         const unsigned char key[4]) {
  char header[10];
  const std::size_t n = aicc::net::write_frame_header(header, opcode, payload.size());
  std::string frame(header, n);
  if (!fin) frame[0] = static_cast<char>(frame[0] & 0x7F);
  frame[1] = static_cast<char>(frame[1] | 0x80);
  frame.append(reinterpret_cast<const char*>(key), 4);
  for (std::size_t i = 0; i < payload.size(); ++i) {
    frame.push_back(static_cast<char>(payload[i] ^ static_cast<char>(key[i & 3])));
  }
  return frame;
}

// A server frame as a client would send it: the mask bit set and a zero key inserted.
std::string as_client(const std::string& server_frame) {
  FUZZ_CHECK(server_frame.size() >= 2);
  std::size_t header = 2;
  const auto length = static_cast<unsigned char>(server_frame[1]);
  if (length == 126) header = 4;
  if (length == 127) header = 10;
  FUZZ_CHECK(server_frame.size() >= header);
  std::string frame = server_frame.substr(0, header);
  frame[1] = static_cast<char>(frame[1] | 0x80);
  frame.append(4, '\0');
  frame.append(server_frame, header);
  return frame;
}

Outcome read_one(const std::string& bytes, std::size_t max_message) {
  return read({bytes}, max_message, 0);
}

void check_round_trip(const Event& event, std::size_t max_message, std::uint32_t hash) {
  const unsigned char key[4] = {
      static_cast<unsigned char>(hash), static_cast<unsigned char>(hash >> 8),
      static_cast<unsigned char>(hash >> 16), static_cast<unsigned char>(hash >> 24)};
  if (event.kind == 'm') {
    const WsOpcode opcode = event.text ? WsOpcode::kText : WsOpcode::kBinary;
    Outcome back = read_one(client_frame(opcode, true, event.payload, key), max_message);
    FUZZ_CHECK(!back.failed && back.idle && back.events.size() == 1);
    FUZZ_CHECK(back.events[0] == event);

    // Two fragments, cut where the hash says (a cut inside a UTF-8 sequence is allowed).
    const std::size_t cut = hash % (event.payload.size() + 1);
    const std::string_view payload(event.payload);
    back = read_one(client_frame(opcode, false, payload.substr(0, cut), key) +
                        client_frame(WsOpcode::kContinuation, true, payload.substr(cut), key),
                    max_message);
    FUZZ_CHECK(!back.failed && back.idle && back.events.size() == 1);
    FUZZ_CHECK(back.events[0] == event);

    // The server's own framing of the same payload.
    char header[10];
    const std::size_t n = aicc::net::write_frame_header(header, opcode, event.payload.size());
    back = read_one(as_client(std::string(header, n) + event.payload), max_message);
    FUZZ_CHECK(!back.failed && back.idle && back.events.size() == 1);
    FUZZ_CHECK(back.events[0] == event);
  } else if (event.kind == 'p') {
    const Outcome back =
        read_one(as_client(aicc::net::control_frame(WsOpcode::kPing, event.payload)), max_message);
    FUZZ_CHECK(!back.failed && back.events.size() == 1);
    FUZZ_CHECK(back.events[0] == event);
  } else if (event.kind == 'c' && event.code != 1005) {
    const Outcome back =
        read_one(as_client(aicc::net::close_frame(event.code, event.payload)), max_message);
    FUZZ_CHECK(!back.failed && back.events.size() == 1);
    FUZZ_CHECK(back.events[0] == event);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t config = data[0];
  const std::size_t max_message = (config & 1) != 0 ? 64 : 64 * 1024;
  const std::size_t stop_after = (config >> 1) & 3;
  const std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);

  const Outcome whole = read({input}, max_message, stop_after);
  check_events(whole, max_message);

  const std::uint32_t hash = aicc::fuzz::hash_of(input);
  const std::size_t cut = hash % (input.size() + 1);
  FUZZ_CHECK(read({input.substr(0, cut), input.substr(cut)}, max_message, stop_after) == whole);

  if (input.size() <= 512) {
    std::vector<std::string_view> bytes;
    for (std::size_t i = 0; i < input.size(); ++i) bytes.push_back(input.substr(i, 1));
    FUZZ_CHECK(read(bytes, max_message, stop_after) == whole);
  }

  for (const Event& event : whole.events) check_round_trip(event, max_message, hash);

  // Any reason given to close_frame() is cut to one that fits and stays valid UTF-8.
  const std::string close = aicc::net::close_frame(aicc::net::kCloseNormal, input);
  const Outcome closed = read_one(as_client(close), max_message);
  FUZZ_CHECK(!closed.failed && closed.events.size() == 1 && closed.events[0].kind == 'c');
  FUZZ_CHECK(input.starts_with(closed.events[0].payload));
  return 0;
}
