// The framing of a streamed bot reply (protocol 2): `text/event-stream` (Server-Sent Events, as
// model servers stream) or `application/x-ndjson` (one JSON part per line), cut into the parts of
// chat/bot_protocol.hpp as bytes arrive, in pieces of any size.
//
// Bounded: a line (and an event's data) is at most kBotBodyLimit bytes; past that the stream is a
// problem, never a growing buffer. SSE comments, `id:`, `retry:` and other events' names are
// ignored; `data: [DONE]` (OpenAI's end marker) is no part; an `event: error` carries the bot's
// reason and ends the stream. An event cut off by the end of the body is dropped (as the SSE
// specification says), a last NDJSON line without its newline is read.
//
// Pure; one decoder per reply.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "chat/bot_protocol.hpp"

namespace aicc::chat {

class BotStreamDecoder {
 public:
  enum class Format { kEventStream, kNdjson };
  // The streamed format a reply's Content-Type names, or nullopt for a whole (JSON) reply.
  static std::optional<Format> format_of(std::string_view content_type);

  explicit BotStreamDecoder(Format format) : format_(format) {}

  // Reads `bytes`; each part completed by them is appended to `parts`. A problem ends the stream
  // (later calls return it again).
  std::optional<BotBodyProblem> feed(std::string_view bytes, std::vector<BotStreamPart>& parts);
  // The body ended: reads what is left.
  std::optional<BotBodyProblem> finish(std::vector<BotStreamPart>& parts);

 private:
  std::optional<BotBodyProblem> line(std::string_view text, std::vector<BotStreamPart>& parts);
  std::optional<BotBodyProblem> dispatch(std::vector<BotStreamPart>& parts);
  std::optional<BotBodyProblem> fail(BotBodyProblem problem);

  Format format_;
  std::string line_;       // the line being read
  bool after_cr_ = false;  // the last line ended with CR: a LF right after it belongs to it
  std::string data_;       // SSE: the data lines of the event being read
  bool has_data_ = false;
  bool error_event_ = false;  // SSE: `event: error`
  std::optional<BotBodyProblem> problem_;
};

// A streamed answer put together from its parts, within its bounds: at most `max_parts` parts,
// the text at most kBotStreamTextLimit bytes, and no more than `parts_per_second` parts a second
// after a first `burst` (a bot that floods its customer is cut off). Pure: the caller gives the
// time.
class BotStreamAnswer {
 public:
  struct Limits {
    std::size_t max_parts = kBotStreamPartLimit;
    std::size_t burst = 200;
    std::size_t parts_per_second = 100;
  };
  enum class Step { kMore, kFinal, kFailed };

  explicit BotStreamAnswer(Limits limits) : limits_(limits) {}

  // What an unfinished answer has taken so far, to go on with it elsewhere (the parts of a
  // webhook stream may reach any node of a cluster).
  struct Progress {
    std::string text;
    std::size_t parts = 0;
    std::int64_t window_start_ms = 0;
    std::size_t window_parts = 0;
  };
  BotStreamAnswer(Limits limits, Progress progress)
      : limits_(limits),
        text_(std::move(progress.text)),
        parts_(progress.parts),
        window_start_ms_(progress.window_start_ms),
        window_parts_(progress.window_parts) {}
  Progress progress() const { return Progress{text_, parts_, window_start_ms_, window_parts_}; }

  // Takes the next part, received at `now_ms`. After kFinal or kFailed nothing more is taken.
  Step add(const BotStreamPart& part, std::int64_t now_ms);

  const std::string& text() const { return text_; }  // the parts' text so far
  std::size_t parts() const { return parts_; }
  bool done() const { return done_; }
  // kFinal: what the bot answered in the end (its botMessage, else the parts' text), or nullopt
  // when it retracted the answer and gave none in its place.
  const std::optional<BotAnswer>& answer() const { return answer_; }
  bool retracted() const { return retracted_; }
  // kFailed: why, for operators.
  const std::string& problem() const { return problem_; }

 private:
  Step fail(std::string why);

  Limits limits_;
  std::string text_;
  std::size_t parts_ = 0;
  std::int64_t window_start_ms_ = 0;  // the rate: parts counted per second past the burst
  std::size_t window_parts_ = 0;
  bool done_ = false;
  bool retracted_ = false;
  std::optional<BotAnswer> answer_;
  std::string problem_;
};

}  // namespace aicc::chat
