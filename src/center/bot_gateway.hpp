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
#include <functional>
#include <optional>
#include <string>
#include <string_view>

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
  boost::asio::awaitable<BotOutcome> ask(const chat::BotChatRequest& request,
                                         BotDeltaSink on_delta = {});

 private:
  const config::BotConfig& config_;
  net::Metrics& metrics_;
  bool builtin_;
  net::HttpClient client_;
  chat::CircuitBreaker breaker_;  // used only on the contact center's executor
  std::string url_;               // {bot.url}/api/chat
};

}  // namespace aicc::center
