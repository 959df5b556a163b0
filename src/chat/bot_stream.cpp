#include "chat/bot_stream.hpp"

#include <algorithm>
#include <cctype>
#include <utility>

namespace aicc::chat {
namespace {

std::string lower_media_type(std::string_view content_type) {
  const std::size_t semicolon = content_type.find(';');
  std::string_view type = content_type.substr(0, semicolon);
  while (!type.empty() && (type.front() == ' ' || type.front() == '\t')) type.remove_prefix(1);
  while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.remove_suffix(1);
  std::string out(type);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

BotBodyProblem stream_problem(BotBodyError code, std::string message) {
  return BotBodyProblem{code, std::move(message)};
}

}  // namespace

std::optional<BotStreamDecoder::Format> BotStreamDecoder::format_of(std::string_view content_type) {
  const std::string type = lower_media_type(content_type);
  if (type == "text/event-stream") return Format::kEventStream;
  if (type == "application/x-ndjson" || type == "application/jsonl" ||
      type == "application/ndjson") {
    return Format::kNdjson;
  }
  return std::nullopt;
}

std::optional<BotBodyProblem> BotStreamDecoder::fail(BotBodyProblem why) {
  problem_ = std::move(why);
  line_.clear();
  data_.clear();
  return problem_;
}

std::optional<BotBodyProblem> BotStreamDecoder::feed(std::string_view bytes,
                                                     std::vector<BotStreamPart>& parts) {
  if (problem_) return problem_;
  for (std::size_t at = 0; at < bytes.size();) {
    if (after_cr_) {
      after_cr_ = false;
      if (bytes[at] == '\n') {
        ++at;
        continue;
      }
    }
    const std::size_t end = bytes.find_first_of("\r\n", at);
    const std::string_view piece =
        bytes.substr(at, end == std::string_view::npos ? bytes.npos : end - at);
    if (line_.size() + piece.size() > kBotBodyLimit) {
      return fail(
          stream_problem(BotBodyError::kTooLarge, "a line of the stream is over 65536 bytes"));
    }
    if (end == std::string_view::npos) {
      line_ += piece;
      break;
    }
    after_cr_ = bytes[end] == '\r';
    at = end + 1;
    std::optional<BotBodyProblem> why;
    if (line_.empty()) {
      why = line(piece, parts);
    } else {
      line_ += piece;
      std::string whole = std::move(line_);
      line_.clear();
      why = line(whole, parts);
    }
    if (why) return fail(std::move(*why));
  }
  return std::nullopt;
}

std::optional<BotBodyProblem> BotStreamDecoder::finish(std::vector<BotStreamPart>& parts) {
  if (problem_) return problem_;
  if (format_ == Format::kNdjson && !line_.empty()) {
    std::string last = std::move(line_);
    line_.clear();
    if (auto why = line(last, parts)) return fail(std::move(*why));
  }
  // SSE: an event without its closing blank line is not dispatched.
  return std::nullopt;
}

std::optional<BotBodyProblem> BotStreamDecoder::line(std::string_view text,
                                                     std::vector<BotStreamPart>& parts) {
  if (format_ == Format::kNdjson) {
    if (text.find_first_not_of(" \t") == std::string_view::npos) return std::nullopt;
    auto part = parse_stream_part(text);
    if (!part) return part.error();
    parts.push_back(std::move(*part));
    return std::nullopt;
  }
  if (text.empty()) return dispatch(parts);
  if (text.front() == ':') return std::nullopt;  // a comment (keep-alive)
  const std::size_t colon = text.find(':');
  const std::string_view field = text.substr(0, colon);
  std::string_view value =
      colon == std::string_view::npos ? std::string_view{} : text.substr(colon + 1);
  if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  if (field == "data") {
    if (data_.size() + value.size() + 1 > kBotBodyLimit) {
      return stream_problem(BotBodyError::kTooLarge, "an event of the stream is over 65536 bytes");
    }
    if (has_data_) data_ += '\n';
    data_ += value;
    has_data_ = true;
  } else if (field == "event") {
    error_event_ = value == "error";
  }
  return std::nullopt;
}

std::optional<BotBodyProblem> BotStreamDecoder::dispatch(std::vector<BotStreamPart>& parts) {
  const bool error_event = std::exchange(error_event_, false);
  if (!has_data_) return std::nullopt;
  std::string data = std::move(data_);
  data_.clear();
  has_data_ = false;
  if (error_event) {
    return stream_problem(BotBodyError::kBadValue,
                          "the bot reported an error in its stream: " + data.substr(0, 200));
  }
  if (data == "[DONE]") return std::nullopt;
  auto part = parse_stream_part(data);
  if (!part) return part.error();
  parts.push_back(std::move(*part));
  return std::nullopt;
}

BotStreamAnswer::Step BotStreamAnswer::fail(std::string why) {
  done_ = true;
  problem_ = std::move(why);
  return Step::kFailed;
}

BotStreamAnswer::Step BotStreamAnswer::add(const BotStreamPart& part, std::int64_t now_ms) {
  if (done_) return answer_ || retracted_ ? Step::kFinal : Step::kFailed;
  ++parts_;
  if (parts_ > limits_.max_parts) {
    return fail("more than " + std::to_string(limits_.max_parts) + " parts");
  }
  if (parts_ > limits_.burst) {
    if (now_ms - window_start_ms_ >= 1000) {
      window_start_ms_ = now_ms;
      window_parts_ = 0;
    }
    if (++window_parts_ > limits_.parts_per_second) {
      return fail("more than " + std::to_string(limits_.parts_per_second) + " parts a second");
    }
  }
  if (text_.size() + part.delta.size() > kBotStreamTextLimit) {
    return fail("the answer is over " + std::to_string(kBotStreamTextLimit) + " bytes");
  }
  text_ += part.delta;
  if (!part.final) return Step::kMore;
  done_ = true;
  retracted_ = part.retract;
  std::string whole = part.bot_message ? *part.bot_message : (part.retract ? "" : text_);
  if (whole.find_first_not_of(" \t\r\n") == std::string::npos) {
    if (part.retract) return Step::kFinal;  // taken back, nothing in its place
    return fail("the answer's text is empty");
  }
  answer_ = BotAnswer{std::move(whole), part.need_human, part.category};
  return Step::kFinal;
}

}  // namespace aicc::chat
