#include "center/bot_gateway.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "center/service_util.hpp"
#include "chat/bot_rules.hpp"
#include "chat/bot_stream.hpp"
#include "net/await_result.hpp"

namespace aicc::center {
BotGateway::BotGateway(const config::BotConfig& config, net::Metrics& metrics)
    : config_(config),
      metrics_(metrics),
      builtin_(config.url == "builtin"),
      client_(net::HttpClientOptions{std::chrono::milliseconds(config.timeout_ms), 256,
                                     chat::kBotBodyLimit}),
      summary_client_(net::HttpClientOptions{std::chrono::milliseconds(config.summary_timeout_ms),
                                             64, chat::kBotBodyLimit}),
      suggestion_client_(net::HttpClientOptions{
          std::chrono::milliseconds(config.suggestion_timeout_ms), 64, chat::kBotBodyLimit}) {
  url_ = endpoint("/api/chat");
}

std::string BotGateway::endpoint(std::string_view path) const {
  std::string url = config_.url;
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url + std::string(path);
}

// The built-in bot types its canned answer out a few words at a time, as a model would stream
// it, so that the embedded default shows the growing answer.
boost::asio::awaitable<BotOutcome> BotGateway::type_out_answer(chat::BotAnswer answer,
                                                               BotDeltaSink& on_delta) {
  boost::asio::steady_timer pause(co_await boost::asio::this_coro::executor);
  const std::string& text = answer.bot_message;
  std::size_t from = 0;
  while (from < text.size()) {
    // Two words a piece: up to the second space after `from` (spaces are ASCII, so a cut never
    // falls inside a character).
    std::size_t to = text.find(' ', from + 1);
    if (to != std::string::npos) to = text.find(' ', to + 1);
    to = to == std::string::npos ? text.size() : to;
    pause.expires_after(std::chrono::milliseconds(config_.demo_typing_ms));
    co_await pause.async_wait(net::kAwaitResult);
    if (!on_delta(std::string_view(text).substr(from, to - from)))
      co_return BotOutcome{std::nullopt, false, true, true};
    from = to;
  }
  co_return BotOutcome{std::move(answer), false, true};
}

boost::asio::awaitable<chat::BotCapabilities> BotGateway::capabilities() {
  if (builtin_) co_return chat::BotCapabilities{2, true, true, true};
  const std::int64_t now = now_ms();
  const bool fresh = capabilities_at_ != 0 &&
                     now - capabilities_at_ < std::int64_t{config_.capabilities_refresh_s} * 1000;
  if (fresh) co_return capabilities_;
  if (capabilities_asked_) {
    // Asked already: what it answers is for every caller waiting meanwhile.
    const auto asked = capabilities_asked_;
    co_await asked->async_wait(net::kAwaitResult);
    co_return capabilities_;
  }
  capabilities_asked_ = std::make_shared<boost::asio::steady_timer>(
      co_await boost::asio::this_coro::executor, boost::asio::steady_timer::time_point::max());
  const net::HttpResult result = co_await summary_client_.get_json(endpoint("/api/capabilities"));
  capabilities_asked_->cancel();
  capabilities_asked_.reset();
  // A bot that cannot be reached is asked again at the next need, not after the refresh time.
  if (result.failure == net::HttpResult::Failure::kNone) {
    capabilities_ = chat::parse_capabilities(static_cast<int>(result.status), result.body);
    capabilities_at_ = now_ms();
    spdlog::info("bot capabilities: protocol {}, streaming {}, summary {}, suggestions {}",
                 capabilities_.protocol, capabilities_.streaming, capabilities_.summary,
                 capabilities_.suggestions);
  }
  co_return capabilities_;
}

boost::asio::awaitable<std::optional<chat::BotSummary>> BotGateway::summarize(
    std::string conversation_id, std::string customer_id, std::string lang,
    std::vector<chat::BotTurn> turns) {
  if (builtin_) co_return chat::builtin_summary(turns, lang);
  if (!(co_await capabilities()).summary) co_return std::nullopt;
  const net::HttpResult result = co_await summary_client_.post_json(
      endpoint("/api/summary"),
      chat::make_summary_request(conversation_id, customer_id, lang, turns));
  if (result.failure != net::HttpResult::Failure::kNone) {
    metrics_.error("bot_summary_failed");
    spdlog::warn("bot summary session={}: {}", conversation_id, result.error);
    co_return std::nullopt;
  }
  auto summary = chat::parse_summary_reply(static_cast<int>(result.status), result.body);
  if (!summary) {
    metrics_.error("bot_summary_failed");
    spdlog::warn("bot summary session={} refused: {}", conversation_id, summary.error().message);
    co_return std::nullopt;
  }
  co_return std::move(*summary);
}

boost::asio::awaitable<std::optional<std::vector<std::string>>> BotGateway::suggest(
    std::string room_id, std::string conversation_id, std::string customer_id, std::string lang,
    std::vector<chat::BotTurn> turns) {
  if (builtin_) co_return chat::builtin_suggestions(turns, lang);
  if (!(co_await capabilities()).suggestions) co_return std::nullopt;
  const net::HttpResult result = co_await suggestion_client_.post_json(
      endpoint("/api/suggestions"),
      chat::make_suggestion_request(room_id, conversation_id, customer_id, lang, turns));
  if (result.failure != net::HttpResult::Failure::kNone) {
    metrics_.error("bot_suggestions_failed");
    spdlog::warn("bot suggestions room={}: {}", room_id, result.error);
    co_return std::nullopt;
  }
  auto suggestions = chat::parse_suggestions_reply(static_cast<int>(result.status), result.body);
  if (!suggestions) {
    metrics_.error("bot_suggestions_failed");
    spdlog::warn("bot suggestions room={} refused: {}", room_id, suggestions.error().message);
    co_return std::nullopt;
  }
  co_return std::move(*suggestions);
}

boost::asio::awaitable<BotOutcome> BotGateway::ask(const chat::BotChatRequest& request,
                                                   BotDeltaSink on_delta, bool type_out) {
  if (builtin_) {
    chat::BotAnswer answer = chat::builtin_bot_answer(request.message, request.lang);
    if (!on_delta || !type_out || config_.demo_typing_ms == 0)
      co_return BotOutcome{std::move(answer), false};
    co_return co_await type_out_answer(std::move(answer), on_delta);
  }
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
