#include "center/bot_gateway.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <string>
#include <vector>

#include "center/service_util.hpp"
#include "chat/bot_rules.hpp"
#include "chat/bot_stream.hpp"

namespace aicc::center {
BotGateway::BotGateway(const config::BotConfig& config, net::Metrics& metrics)
    : config_(config),
      metrics_(metrics),
      builtin_(config.url == "builtin"),
      client_(net::HttpClientOptions{std::chrono::milliseconds(config.timeout_ms), 256,
                                     chat::kBotBodyLimit}) {
  url_ = config.url;
  while (!url_.empty() && url_.back() == '/') url_.pop_back();
  url_ += "/api/chat";
}

boost::asio::awaitable<BotOutcome> BotGateway::ask(const chat::BotChatRequest& request,
                                                   BotDeltaSink on_delta) {
  if (builtin_)
    co_return BotOutcome{chat::builtin_bot_answer(request.message, request.lang), false};
  if (!breaker_.allow(now_ms())) {
    metrics_.error("bot_circuit_open");
    co_return BotOutcome{chat::bot_unavailable_answer(request.lang), true};
  }
  const auto failed = [&](std::string_view what, const std::string& why) {
    breaker_.record_failure(now_ms());
    metrics_.error("bot_failed");
    spdlog::warn("bot {} session={}: {}", what, request.session_id, why);
    return BotOutcome{chat::bot_unavailable_answer(request.lang), true};
  };

  // A streamed answer is read as it comes: framed, put together within its bounds, and each
  // piece of text handed on at once.
  std::optional<chat::BotStreamDecoder> decoder;
  chat::BotStreamAnswer assembled({});
  std::optional<chat::BotBodyProblem> stream_problem;
  bool stopped = false;
  net::HttpStreamReader reader;
  if (on_delta) {
    reader.accept = "application/json, text/event-stream, application/x-ndjson";
    reader.first_piece = std::chrono::milliseconds(config_.stream_first_part_ms);
    reader.between_pieces = std::chrono::milliseconds(config_.stream_idle_ms);
    reader.in_all = std::chrono::milliseconds(config_.stream_total_ms);
    reader.max_bytes = 4 * chat::kBotStreamTextLimit + 64 * 1024;  // text, JSON and framing
  }
  reader.streamed = [&](unsigned status, std::string_view content_type) {
    if (!on_delta || status < 200 || status > 299) return false;
    const auto format = chat::BotStreamDecoder::format_of(content_type);
    if (format) decoder.emplace(*format);
    return format.has_value();
  };
  std::vector<chat::BotStreamPart> parts;
  const auto take = [&]() -> bool {
    for (const chat::BotStreamPart& part : parts) {
      const auto step = assembled.add(part, now_ms());
      if (step == chat::BotStreamAnswer::Step::kFailed) return false;
      if (!part.delta.empty() && !on_delta(part.delta)) {
        stopped = true;
        return false;
      }
      if (step == chat::BotStreamAnswer::Step::kFinal) return false;
    }
    parts.clear();
    return true;
  };
  reader.on_piece = [&](std::string_view piece) {
    stream_problem = decoder->feed(piece, parts);
    if (stream_problem) return false;
    return take();
  };
  // Not retried: a POST that may have reached the bot could make it answer twice.
  const net::HttpResult result = co_await client_.post_json_streamed(
      url_, chat::make_chat_request(request), {}, std::move(reader));
  if (stopped) co_return BotOutcome{std::nullopt, false, true, true};
  if (decoder) {
    if (!stream_problem && !assembled.done() && result.failure == net::HttpResult::Failure::kNone) {
      stream_problem = decoder->finish(parts);
      if (!stream_problem) take();
      if (stopped) co_return BotOutcome{std::nullopt, false, true, true};
    }
    BotOutcome outcome;
    if (stream_problem) {
      outcome = failed("stream refused", stream_problem->message);
    } else if (!assembled.problem().empty()) {
      outcome = failed("stream cut off", assembled.problem());
    } else if (result.failure != net::HttpResult::Failure::kNone) {
      outcome = failed("stream failed", result.error);
    } else if (!assembled.done()) {
      outcome = failed("stream ended", "the stream ended without its final part");
    } else if (!assembled.answer()) {
      // Taken back, with nothing in its place: the customer is offered an agent.
      breaker_.record_success(now_ms());
      outcome = BotOutcome{chat::bot_unavailable_answer(request.lang), true};
    } else {
      breaker_.record_success(now_ms());
      outcome = BotOutcome{assembled.answer(), false};
    }
    outcome.streamed = true;
    co_return outcome;
  }
  if (result.failure != net::HttpResult::Failure::kNone)
    co_return failed("call failed", result.error);
  auto reply = chat::parse_chat_reply(static_cast<int>(result.status), result.body);
  if (!reply) {
    co_return failed("answer refused",
                     "status " + std::to_string(result.status) + ": " + reply.error().message);
  }
  breaker_.record_success(now_ms());
  if (!reply.value()) co_return BotOutcome{std::nullopt, false};
  co_return BotOutcome{reply.value()->answer, false};
}

}  // namespace aicc::center
