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
#include <boost/json/object.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "broker/publisher.hpp"
#include "center/bot_gateway.hpp"
#include "center/caller.hpp"
#include "chat/bot_outcomes.hpp"
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
                  chat::BotOutcomes& outcomes, util::SharedState* shared);

  // Why the customer's consult request being opened now was opened: the bot's needHuman or
  // apology just before, else the customer asking (once: the note is taken).
  chat::HandoverReason handover_reason(const std::string& customer_id);

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
  // `client_streams`: the client shows answers growing, so the built-in bot types its answer out
  // (an external bot's streamed answer is relayed in parts whatever the client said).
  util::Result<Accepted, std::string> customer_message(const Caller& caller, std::string text,
                                                       std::string client_message_id,
                                                       std::string lang = {},
                                                       bool client_streams = false);
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

  // The answer the customer of `conversation_id` sees growing now, put together from the parts
  // sent so far, so that a client that reconnects mid-answer can rebuild it and apply the parts
  // that follow (null when none). With several nodes it may have been sent by another one.
  struct AnswerSoFar {
    std::string message_id;
    std::string reply_to;
    std::int64_t part = 0;  // the number of the last part in `text`
    std::string text;
  };
  std::optional<AnswerSoFar> answer_so_far(const std::string& conversation_id);

  // Asks the bot for a handoff summary of the customer's conversation, once per consult request,
  // without waiting for it: when it comes it is kept for the consoles' views and published on
  // /topic/consult/summary to the request's audience then (bot_assistance.cpp).
  void summarize_handoff(const std::string& request_id, const std::string& customer_id);
  // Who is told a consult request's summary: the agents who see the request (the routing's).
  void set_summary_audience(
      std::function<std::vector<std::string>(const std::string& request_id)> audience) {
    summary_audience_ = std::move(audience);
  }
  // The handoff summary of a conversation, `{text, category, mood}`, if the bot gave one for
  // consult request `request_id` (any request when empty).
  std::optional<boost::json::object> handoff_summary(const std::string& conversation_id,
                                                     const std::string& request_id = {});
  // Forgets what the bot side keeps of a customer who is being erased (their handoff summary,
  // an answer in progress, a hand-over note). Any thread.
  void forget_customer(const std::string& customer_id, const std::string& conversation_id);
  // With bot.suggest-replies, asks the bot for replies to a customer's message in a room and
  // sends them to the room's agent alone (/user/queue/agent/suggestions).
  void suggest_replies(const chat::MessageRecord& customer_message);

 private:
  struct PendingAnswer;
  boost::asio::awaitable<void> ask_bot(std::string conversation_id, Caller customer,
                                       std::string text, std::string message_id, std::string lang,
                                       bool client_streams);
  // Stores the answer to the customer message of `pending` and sends it, unless that message
  // already has one; then hands the customer over when the answer asks for a human.
  // `answer_id`: the id the streamed parts were sent under, which the stored answer keeps.
  bool deliver(const PendingAnswer& pending, const std::string& reply_to,
               const chat::BotAnswer& answer, const std::string& answer_id = {});
  // A streamed answer on its way to the customer (bot_conversation.cpp).
  struct StreamRelay;
  bool relay_delta(StreamRelay& relay, std::string_view delta);
  void flush_relay(StreamRelay& relay);
  // What of a growing text (`raw`, of which `sent_len` bytes were sent) may be sent now.
  std::string next_piece(const std::string& raw, std::size_t sent_len) const;
  bool human_has_conversation(const std::string& conversation_id);
  // The page language a customer wrote in last, which the summary and suggestions are asked in;
  // with several nodes also noted in answers_, since the node asking may not be the customer's.
  void remember_language(const std::string& conversation_id, const std::string& lang);
  std::string language_of(const std::string& conversation_id);
  // What the node that asked the bot knew of the customer message `reply_to` (name, text, page
  // language), for a webhook answering it: from pending_, else, with several nodes, from the note
  // that node left in answers_ (note_asked()), since the webhook may reach any node.
  PendingAnswer asked_for(const std::string& reply_to,
                          const chat::ConversationRecord& conversation);
  void note_asked(const std::string& message_id, const PendingAnswer& pending);
  // Sends one growing part to the customer, after noting the whole text sent so far for a client
  // that reconnects; and forgets that note once the answer is over.
  void send_partial(const std::string& conversation_id, const std::string& customer_id,
                    const std::string& answer_id, const std::string& reply_to, std::int64_t part,
                    std::string delta, const std::string& sent_so_far);
  void forget_partial(const std::string& conversation_id, const std::string& answer_id);
  static std::string so_far_key(std::string_view conversation_id);  // in answers_
  void send_interrupted(const std::string& conversation_id, const std::string& customer_id,
                        const std::string& answer_id, const std::string& reply_to);
  // The customer message a webhook answers: its replyTo, else the oldest still waiting, else the
  // last the customer sent; or the refusal.
  util::Result<std::string, Answer> message_answered(const chat::BotWebhook& webhook,
                                                     const std::string& conversation_id);
  // A webhook call carrying one part of a streamed answer (bot_webhook_stream.cpp). Its progress
  // lives in answers_, so that the next part may reach any node.
  struct WebhookStream;
  Answer webhook_part(const chat::BotWebhook& webhook,
                      const chat::ConversationRecord& conversation);
  // Ends a webhook stream that stalled or ran out of time, and sends an update held back; the
  // node that took the latest part keeps this timer.
  void arm_stream_timer(const std::string& key, chat::Millis at);
  // This node, which holds the stream now, keeps its timer: owner, and armed at its next wake.
  void own_stream(WebhookStream& stream);
  // Whatever failed once the progress was taken (the store, the shared state), it is put back
  // (this node owning it): the bot's retry finds it, and the stall timer still ends the answer.
  void put_back_progress(WebhookStream& stream, std::int64_t seconds);
  // When the stream ends unless a part comes: its stall or its time limit, whichever is first.
  chat::Millis stream_deadline(const WebhookStream& stream) const;
  // How long a live stream's progress is kept in answers_.
  std::int64_t stream_alive_seconds() const;
  void on_stream_timer(const std::string& key);
  bool end_webhook_stream(WebhookStream& stream, const chat::BotAnswer& answer, bool failed);
  // A webhook stream answers `reply_to` (on some node): the promised webhook came.
  bool webhook_stream_under_way(const std::string& reply_to);
  bool flush_webhook_stream(WebhookStream& stream);
  bool unsent(const WebhookStream& stream) const;  // text waiting for the next update

  const config::Config& config_;
  chat::ChatStore& store_;
  broker::Publisher& publisher_;
  net::Metrics& metrics_;
  boost::asio::any_io_executor executor_;
  chat::LiveFigures& figures_;
  chat::BotOutcomes& outcomes_;
  BotGateway bot_;
  std::unique_ptr<chat::WebhookVerifier> webhook_verifier_;  // null when no secret is configured

  std::function<void(HandOver)> hand_over_;
  std::function<std::vector<std::string>(const std::string&)> summary_audience_;

  // Where answers in progress are noted for every node (webhook streams, what reconnecting
  // clients rebuild): the cluster's shared state, else this process's own.
  std::unique_ptr<util::SharedState> own_answers_;
  util::SharedState* answers_;
  bool clustered_;       // answers_ is the cluster's: other nodes read what is noted there
  std::string node_id_;  // this process, in the webhook streams' progress (their timer's owner)
  std::map<std::string, std::unique_ptr<boost::asio::steady_timer>> stream_timers_;
  std::map<std::string, int> stream_timer_failures_;  // a timer's failures in a row, by stream
  std::unordered_map<std::string, std::string> languages_;  // conversation -> page language

  struct PendingAnswer {
    std::string conversation_id{};
    std::string customer_id{};
    std::string customer_name{};
    std::string text{};    // the customer's message
    std::string lang{};    // the customer's page language (the apology is said in it)
    std::int64_t seq = 0;  // of the customer message: webhooks without replyTo answer the oldest
    std::unique_ptr<boost::asio::steady_timer> deadline{};  // apology when the webhook never comes;
                                                            // null while the bot is being asked
  };
  // Customer message id -> its answer, awaited from the moment the bot is asked (its webhook may
  // come before its HTTP reply) until an answer is delivered.
  std::map<std::string, PendingAnswer> pending_;
};

}  // namespace aicc::center
