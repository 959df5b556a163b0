// A customer's conversation with the bot: what the customer writes is stored first, then answered
// once, by the bot's HTTP reply or its signed webhook, whichever comes first, or by an apology when
// the bot fails or its promised webhook never comes. While a human agent has the customer's room,
// the bot stays silent.
//
// Part of the contact center: every call runs on its executor (store calls block there, and the
// pending answers need no lock).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "broker/publisher.hpp"
#include "center/bot_gateway.hpp"
#include "center/caller.hpp"
#include "chat/chat_store.hpp"
#include "chat/live_figures.hpp"
#include "chat/webhook_signature.hpp"
#include "config/config.hpp"
#include "net/metrics.hpp"
#include "util/result.hpp"
#include "util/shared_state.hpp"

namespace aicc::center {

class BotConversation {
 public:
  // `figures` are the contact center's (the supervisor's bot figures); `shared`: where the webhook
  // replay cache lives across nodes (null: in this process).
  BotConversation(const config::Config& config, chat::ChatStore& store,
                  broker::Publisher& publisher, net::Metrics& metrics,
                  boost::asio::any_io_executor executor, chat::LiveFigures& figures,
                  util::SharedState* shared);

  struct Accepted {
    std::string message_id;       // of the stored customer message
    std::string conversation_id;  // the customer's conversation (sessionId for the bot)
    bool duplicate = false;
  };
  // What the bot's answer `needHuman` asks for, with `bot.need-human: queue`: a consult request
  // for the customer, as if they had asked (their last message as the reason, the bot's answer as
  // what the agent sees first). Called on the executor, once the answer was delivered.
  struct HandOver {
    Caller customer;
    std::string category;     // the bot's, or "bot_handover"
    std::string reason;       // the customer's message the bot answered
    std::string bot_message;  // the answer
  };
  void set_hand_over(std::function<void(HandOver)> hand_over) { hand_over_ = std::move(hand_over); }

  // Stores a customer's message to the bot and starts the bot's answer. While a human has the
  // customer's room, or the customer's consult request is open (waiting for an agent), the bot is
  // not asked: the message is kept in the conversation for the agent. `lang`: the customer's page
  // language, passed to the bot (and used by the built-in one and the apology); may be empty.
  util::Result<Accepted, std::string> customer_message(const Caller& caller, std::string text,
                                                       std::string client_message_id,
                                                       std::string lang = {});
  // POST /api/bot/webhook, in two steps. First its signature, timestamp and replay check, from any
  // thread (with several nodes the replay cache is in Redis: webhook_checks_block() then, and the
  // caller runs it off the I/O threads and off the executor); a refusal, or nullopt when the call
  // may go on.
  std::optional<Answer> check_webhook(std::string_view timestamp, std::string_view signature,
                                      std::string_view body);
  bool webhook_checks_block() const;
  // Then the answer it carries, on the executor.
  Answer webhook(std::string_view body);
  // A checked call whose processing failed is forgotten by the replay cache, so that the bot's
  // retry of it is accepted. Any thread; may block like check_webhook().
  void forget_webhook(std::string_view timestamp, std::string_view signature,
                      std::string_view body);

 private:
  struct PendingAnswer;
  boost::asio::awaitable<void> ask_bot(std::string conversation_id, Caller customer,
                                       std::string text, std::string message_id, std::string lang);
  // Stores the answer to the customer message of `pending` and sends it, unless that message
  // already has one; then hands the customer over when the answer asks for a human.
  // `answer_id`: the id the streamed parts were sent under, which the stored answer keeps.
  bool deliver(const PendingAnswer& pending, const std::string& reply_to,
               const chat::BotAnswer& answer, const std::string& answer_id = {});
  // A streamed answer on its way to the customer (bot_conversation.cpp).
  struct StreamRelay;
  bool relay_delta(StreamRelay& relay, std::string_view delta);
  void flush_relay(StreamRelay& relay);
  bool human_has_conversation(const std::string& conversation_id);

  const config::Config& config_;
  chat::ChatStore& store_;
  broker::Publisher& publisher_;
  net::Metrics& metrics_;
  boost::asio::any_io_executor executor_;
  chat::LiveFigures& figures_;
  BotGateway bot_;
  std::unique_ptr<chat::WebhookVerifier> webhook_verifier_;  // null when no secret is configured

  std::function<void(HandOver)> hand_over_;

  struct PendingAnswer {
    std::string conversation_id;
    std::string customer_id;
    std::string customer_name;
    std::string text;      // the customer's message
    std::string lang;      // the customer's page language (the apology is said in it)
    std::int64_t seq = 0;  // of the customer message: webhooks without replyTo answer the oldest
    std::unique_ptr<boost::asio::steady_timer> deadline{};  // apology when the webhook never comes;
                                                            // null while the bot is being asked
  };
  // Customer message id -> its answer, awaited from the moment the bot is asked (its webhook may
  // come before its HTTP reply) until an answer is delivered.
  std::map<std::string, PendingAnswer> pending_;
};

}  // namespace aicc::center
