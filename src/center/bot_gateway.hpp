// The chat server's side of the bot: asks `POST {bot.url}/api/chat` (or the built-in demo bot) for
// an answer to one customer message.
//
// Every failure ends in the apology answer (needHuman, category "bot_unavailable"), at once: a
// timeout, a connection error, a bad reply, or an open circuit breaker, which stops calling a bot
// that keeps failing and lets one trial through after a cool-down. A 2xx reply without
// `botMessage` means the answer will come through the webhook; the caller waits for it, bounded.
// Runs on the contact center's executor.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "chat/bot_assist.hpp"
#include "chat/bot_protocol.hpp"
#include "chat/circuit_breaker.hpp"
#include "config/config.hpp"
#include "net/http_client.hpp"
#include "net/metrics.hpp"

namespace aicc::center {

struct BotOutcome {
  std::optional<chat::BotAnswer> answer;  // empty: the bot will answer through the webhook
  bool failed = false;                    // answer is the apology standing in for the bot's
  bool streamed = false;                  // the answer came in parts (each given to on_delta)
  bool stopped = false;  // on_delta asked to stop: no answer, and nothing is to be delivered
};

// Each piece of text of a streamed answer, as it comes; false stops the answer (a human took the
// customer over).
using BotDeltaSink = std::function<bool(std::string_view delta)>;

class BotGateway {
 public:
  BotGateway(const config::BotConfig& config, net::Metrics& metrics);

  bool builtin() const { return builtin_; }
  // With `on_delta`, the bot may stream its answer (protocol 2: text/event-stream or NDJSON,
  // chat/bot_stream.hpp), bounded by bot.stream-*-ms; the parts go to `on_delta` as they come,
  // and the outcome is the final answer, or the apology when the stream stalls, breaks, floods,
  // grows too large or ends without its final part.
  // `type_out`: the built-in bot types its answer out in parts (the client shows them).
  boost::asio::awaitable<BotOutcome> ask(const chat::BotChatRequest& request,
                                         BotDeltaSink on_delta = {}, bool type_out = false);

  // What the bot says it can do: asked at the first need and again once bot.capabilities-
  // refresh-s have passed (meanwhile, what it said last); the built-in bot can do everything.
  boost::asio::awaitable<chat::BotCapabilities> capabilities();
  // A handoff summary of `turns`, when the bot makes them; nullopt when it does not, fails or
  // takes longer than bot.summary-timeout-ms.
  boost::asio::awaitable<std::optional<chat::BotSummary>> summarize(
      std::string conversation_id, std::string customer_id, std::string lang,
      std::vector<chat::BotTurn> turns);
  // Replies the agent of room `room_id` could send next, when the bot suggests any; nullopt when
  // it does not, fails or takes longer than bot.suggestion-timeout-ms.
  boost::asio::awaitable<std::optional<std::vector<std::string>>> suggest(
      std::string room_id, std::string conversation_id, std::string customer_id, std::string lang,
      std::vector<chat::BotTurn> turns);

 private:
  const config::BotConfig& config_;
  net::Metrics& metrics_;
  bool builtin_;
  boost::asio::awaitable<BotOutcome> type_out_answer(chat::BotAnswer answer,
                                                     BotDeltaSink& on_delta);
  std::string endpoint(std::string_view path) const;  // {bot.url}{path}

  net::HttpClient client_;
  net::HttpClient summary_client_;
  net::HttpClient suggestion_client_;
  chat::CircuitBreaker breaker_;  // used only on the contact center's executor
  std::string url_;               // {bot.url}/api/chat
  // What the bot said it can do, and when (unix ms; 0: never asked); on the executor.
  chat::BotCapabilities capabilities_;
  std::int64_t capabilities_at_ = 0;
  std::shared_ptr<boost::asio::steady_timer> capabilities_asked_;  // while asking: its waiters
};

}  // namespace aicc::center
