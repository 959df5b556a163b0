#include "center/bot_gateway.hpp"

#include <spdlog/spdlog.h>

#include <chrono>

#include "center/service_util.hpp"
#include "chat/bot_rules.hpp"

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

boost::asio::awaitable<BotOutcome> BotGateway::ask(const chat::BotChatRequest& request) {
  if (builtin_)
    co_return BotOutcome{chat::builtin_bot_answer(request.message, request.lang), false};
  if (!breaker_.allow(now_ms())) {
    metrics_.error("bot_circuit_open");
    co_return BotOutcome{chat::bot_unavailable_answer(request.lang), true};
  }
  // Not retried: a POST that may have reached the bot could make it answer twice.
  const net::HttpResult result = co_await client_.post_json(url_, chat::make_chat_request(request));
  if (result.failure != net::HttpResult::Failure::kNone) {
    breaker_.record_failure(now_ms());
    metrics_.error("bot_failed");
    spdlog::warn("bot call failed session={}: {}", request.session_id, result.error);
    co_return BotOutcome{chat::bot_unavailable_answer(request.lang), true};
  }
  auto reply = chat::parse_chat_reply(static_cast<int>(result.status), result.body);
  if (!reply) {
    breaker_.record_failure(now_ms());
    metrics_.error("bot_failed");
    spdlog::warn("bot answer refused session={} status={}: {}", request.session_id, result.status,
                 reply.error().message);
    co_return BotOutcome{chat::bot_unavailable_answer(request.lang), true};
  }
  breaker_.record_success(now_ms());
  if (!reply.value()) co_return BotOutcome{std::nullopt, false};
  co_return BotOutcome{reply.value()->answer, false};
}

}  // namespace aicc::center
