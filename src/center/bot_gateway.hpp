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
#include <optional>
#include <string>

#include "chat/bot_protocol.hpp"
#include "chat/circuit_breaker.hpp"
#include "config/config.hpp"
#include "net/http_client.hpp"
#include "net/metrics.hpp"

namespace aicc::center {

struct BotOutcome {
  std::optional<chat::BotAnswer> answer;  // empty: the bot will answer through the webhook
  bool failed = false;                    // answer is the apology standing in for the bot's
};

class BotGateway {
 public:
  BotGateway(const config::BotConfig& config, net::Metrics& metrics);

  bool builtin() const { return builtin_; }
  boost::asio::awaitable<BotOutcome> ask(const chat::BotChatRequest& request);

 private:
  const config::BotConfig& config_;
  net::Metrics& metrics_;
  bool builtin_;
  net::HttpClient client_;
  chat::CircuitBreaker breaker_;  // used only on the contact center's executor
  std::string url_;               // {bot.url}/api/chat
};

}  // namespace aicc::center
