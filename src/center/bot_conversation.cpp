#include "center/bot_conversation.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>

#include "center/service_util.hpp"
#include "chat/personal_data.hpp"
#include "net/await_result.hpp"
#include "util/memory_shared_state.hpp"
#include "util/random.hpp"
#include "util/utf8.hpp"

namespace aicc::center {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

// A customer message being answered, noted for the node its webhook reaches (note_asked()).
std::string asked_key(std::string_view message_id) {
  return "bot-asked:" + std::string(message_id);
}
constexpr std::int64_t kAskedNoteSeconds = 600;  // as long as an answer is awaited, and more

}  // namespace

BotConversation::BotConversation(const config::Config& config, chat::ChatStore& store,
                                 broker::Publisher& publisher, net::Metrics& metrics,
                                 asio::any_io_executor executor, chat::LiveFigures& figures,
                                 chat::BotOutcomes& outcomes, util::SharedState* shared)
    : config_(config),
      store_(store),
      publisher_(publisher),
      metrics_(metrics),
      executor_(std::move(executor)),
      figures_(figures),
      outcomes_(outcomes),
      bot_(config.bot, metrics),
      own_answers_(shared ? nullptr : std::make_unique<util::MemorySharedState>()),
      answers_(shared ? shared : own_answers_.get()),
      clustered_(shared != nullptr),
      node_id_(util::random_hex(8)) {
  if (!config.bot.webhook_secret.empty()) {
    webhook_verifier_ = std::make_unique<chat::WebhookVerifier>(
        chat::WebhookVerifierOptions{.secret = config.bot.webhook_secret, .shared = shared});
  }
  if (!config.bot.webhook_require_signature) {
    spdlog::warn(
        "bot.webhook-require-signature is false: anybody who can reach /api/bot/webhook can answer "
        "as the bot; for local trials only");
  }
}

util::Result<BotConversation::Accepted, std::string> BotConversation::customer_message(
    const Caller& caller, std::string text, std::string client_message_id, std::string lang,
    bool client_streams) {
  if (!util::is_valid_utf8(text)) return util::unexpected(std::string("message is not UTF-8"));
  // The bot gets typed placeholders for what the store keeps masked (or, with masking off,
  // keeps whole): taken before masking, so that it reads [RRN] rather than asterisks.
  std::string for_bot = chat::redact_for_bot(text);
  if (config_.privacy.mask_identifiers) chat::mask_identifiers(text);
  const chat::Millis now = now_ms();
  const chat::ConversationRecord conversation =
      store_.get_or_create_conversation(caller.user_id, "c_" + util::random_hex(12), now);
  chat::MessageRecord record;
  record.stream_id = conversation.id;
  record.message_id = util::time_ordered_id("m_", now);
  record.client_message_id = std::move(client_message_id);
  record.sender_id = caller.user_id;
  record.sender_name = caller.name;
  record.sender_role = chat::SenderRole::kCustomer;
  record.text = text;
  record.created_at = now;
  const chat::AppendResult stored = store_.append_message(record);
  if (!stored.stored())
    return util::unexpected(std::string("the conversation refused the message"));
  // A retry of a message already stored was already answered, or is being answered.
  if (stored.duplicate()) return Accepted{stored.message.message_id, conversation.id, true};
  figures_.message(now);
  remember_language(conversation.id, lang);
  // While a human has the customer's room, or the customer waits for one, the bot is silent: the
  // message stays in the conversation, which the agent gets with the assignment.
  if (!human_has_conversation(conversation.id) && !store_.has_open_request(caller.user_id)) {
    figures_.bot_asked(now);
    // Awaited from now on: the bot's webhook may come before its HTTP reply.
    PendingAnswer& pending = pending_[stored.message.message_id];
    pending = PendingAnswer{.conversation_id = conversation.id,
                            .customer_id = caller.user_id,
                            .customer_name = caller.name,
                            .text = text,
                            .lang = lang,
                            .seq = stored.message.seq};
    note_asked(stored.message.message_id, pending);
    auto ask = ask_bot(conversation.id, caller, std::move(for_bot), stored.message.message_id,
                       std::move(lang), client_streams);
    asio::co_spawn(
        executor_, std::move(ask),
        [this, message_id = stored.message.message_id](const std::exception_ptr& failure) {
          pending_.erase(message_id);  // normally gone already
          if (!failure) return;
          try {
            std::rethrow_exception(failure);
          } catch (const std::exception& e) {
            spdlog::error("bot answer failed: {}", e.what());
          }
        });
  }
  return Accepted{stored.message.message_id, conversation.id, false};
}

void BotConversation::note_asked(const std::string& message_id, const PendingAnswer& pending) {
  if (!clustered_) return;  // one node: pending_ has it
  const json::object note{
      {"customerName", pending.customer_name}, {"text", pending.text}, {"lang", pending.lang}};
  try {
    answers_->put(asked_key(message_id), json::serialize(note), kAskedNoteSeconds);
  } catch (const util::SharedStateUnavailable&) {
    metrics_.error("bot_answer_note_failed");  // a webhook elsewhere lacks the name and language
  }
}

BotConversation::PendingAnswer BotConversation::asked_for(
    const std::string& reply_to, const chat::ConversationRecord& conversation) {
  PendingAnswer asked{.conversation_id = conversation.id, .customer_id = conversation.customer_id};
  if (auto it = pending_.find(reply_to); it != pending_.end()) {
    asked.customer_name = it->second.customer_name;
    asked.text = it->second.text;
    asked.lang = it->second.lang;
    return asked;
  }
  if (!clustered_) return asked;
  std::optional<std::string> note;
  try {
    note = answers_->get(asked_key(reply_to));
  } catch (const util::SharedStateUnavailable&) {
  }
  if (const auto object = note ? object_of(*note) : std::nullopt) {
    const auto string = [&](std::string_view name) {
      const json::value* value = object->if_contains(name);
      return value != nullptr && value->is_string() ? std::string(value->get_string())
                                                    : std::string();
    };
    asked.customer_name = string("customerName");
    asked.text = string("text");
    asked.lang = string("lang");
  }
  if (asked.lang.empty()) asked.lang = language_of(conversation.id);
  return asked;
}

chat::HandoverReason BotConversation::handover_reason(const std::string& customer_id) {
  std::optional<std::string> note;
  try {
    note = answers_->take("bot-handover:" + customer_id);
  } catch (const util::SharedStateUnavailable&) {
  }
  if (note == "failed") return chat::HandoverReason::kBotFailed;
  if (note == "need_human") return chat::HandoverReason::kBotNeedHuman;
  return chat::HandoverReason::kCustomerAsked;
}

bool BotConversation::human_has_conversation(const std::string& conversation_id) {
  for (const chat::RoomRecord& room : store_.rooms_of_conversation(conversation_id)) {
    if (!room.closed_at && !room.agent_id.empty()) return true;
  }
  return false;
}

// What the customer has been sent of a streamed answer, and what waits for the next update.
struct BotConversation::StreamRelay {
  std::string conversation_id{};
  std::string customer_id{};
  std::string reply_to{};    // the customer message it answers
  std::string answer_id{};   // the answer's messageId, from its first part to its stored final
  std::string raw{};         // the text come so far, as the bot sent it
  std::size_t sent_len = 0;  // how much of `raw` the customer was sent
  std::string sent{};        // what the customer was sent so far (masked)
  std::int64_t parts_sent = 0;
  chat::Millis last_sent = 0;
  bool human = false;  // a human has the customer now: the rest is dropped
  std::unique_ptr<asio::steady_timer> update{};  // the next update, when one is due
};

void BotConversation::flush_relay(StreamRelay& relay) {
  if (relay.human) return;
  std::string delta = next_piece(relay.raw, relay.sent_len);
  if (delta.empty()) return;
  // Checked at each update, not each part: a human who took the customer over silences the rest.
  if (human_has_conversation(relay.conversation_id)) {
    relay.human = true;
    return;
  }
  relay.sent_len += delta.size();
  relay.last_sent = now_ms();
  relay.sent += delta;
  send_partial(relay.conversation_id, relay.customer_id, relay.answer_id, relay.reply_to,
               ++relay.parts_sent, std::move(delta), relay.sent);
}

std::string BotConversation::next_piece(const std::string& raw, std::size_t sent_len) const {
  if (!config_.privacy.mask_identifiers) return raw.substr(std::min(sent_len, raw.size()));
  // A number split over two parts is masked whole: the run of digits (and the words glued to it)
  // that what follows could still make a number waits; the rest is masked as the whole text so
  // far is (masking keeps lengths, so it lines up with what was sent).
  const std::size_t cut = chat::settled_prefix(raw);
  if (cut <= sent_len) return {};
  std::string masked = raw;
  chat::mask_identifiers(masked);
  return masked.substr(sent_len, cut - sent_len);
}

std::string BotConversation::so_far_key(std::string_view conversation_id) {
  return "bot-answer:" + std::string(conversation_id);
}

void BotConversation::send_partial(const std::string& conversation_id,
                                   const std::string& customer_id, const std::string& answer_id,
                                   const std::string& reply_to, std::int64_t part,
                                   std::string delta, const std::string& sent_so_far) {
  const chat::Millis now = now_ms();
  // Noted before it is sent: a client that sees this part and then asks for the answer so far
  // gets at least this much.
  try {
    json::object so_far{
        {"messageId", answer_id}, {"replyTo", reply_to}, {"part", part}, {"text", sent_so_far}};
    answers_->put(so_far_key(conversation_id), json::serialize(so_far),
                  config_.bot.stream_total_ms / 1000 + 60);
  } catch (const util::SharedStateUnavailable& e) {
    metrics_.error("bot_answer_note_failed");  // only a reconnecting client misses it
  }
  json::object body{{"conversationId", conversation_id},
                    {"messageId", answer_id},
                    {"replyTo", reply_to},
                    {"partial", true},
                    {"part", part},
                    {"delta", std::move(delta)},
                    {"timestamp", timestamp_of(now)}};
  publisher_.send_to_user(customer_id, "/queue/bot/response", "application/json",
                          json::serialize(body));
}

void BotConversation::forget_partial(const std::string& conversation_id,
                                     const std::string& answer_id) {
  try {
    // Another answer of the same customer may be growing meanwhile: its note stays.
    const auto note = answers_->get(so_far_key(conversation_id));
    if (note && note->find("\"" + answer_id + "\"") != std::string::npos)
      answers_->clear(so_far_key(conversation_id));
  } catch (const util::SharedStateUnavailable&) {
    metrics_.error("bot_answer_note_failed");  // it expires
  }
}

void BotConversation::send_interrupted(const std::string& conversation_id,
                                       const std::string& customer_id, const std::string& answer_id,
                                       const std::string& reply_to) {
  forget_partial(conversation_id, answer_id);
  json::object body{{"conversationId", conversation_id},
                    {"messageId", answer_id},
                    {"replyTo", reply_to},
                    {"partial", false},
                    {"interrupted", true},
                    {"timestamp", timestamp_of(now_ms())}};
  publisher_.send_to_user(customer_id, "/queue/bot/response", "application/json",
                          json::serialize(body));
}

std::optional<BotConversation::AnswerSoFar> BotConversation::answer_so_far(
    const std::string& conversation_id) {
  std::optional<std::string> note;
  try {
    note = answers_->get(so_far_key(conversation_id));
  } catch (const util::SharedStateUnavailable&) {
    return std::nullopt;  // the client still gets the final answer
  }
  if (!note) return std::nullopt;
  const auto object = object_of(*note);
  if (!object) return std::nullopt;
  AnswerSoFar so_far;
  const auto text = [&](std::string_view name) {
    const json::value* value = object->if_contains(name);
    return value && value->is_string() ? std::string(value->get_string()) : std::string();
  };
  so_far.message_id = text("messageId");
  so_far.reply_to = text("replyTo");
  so_far.text = text("text");
  if (const json::value* part = object->if_contains("part"); part && part->is_int64())
    so_far.part = part->get_int64();
  if (so_far.message_id.empty()) return std::nullopt;
  return so_far;
}

bool BotConversation::relay_delta(StreamRelay& relay, std::string_view delta) {
  // Answered meanwhile (by the webhook): the rest of this answer is not wanted.
  if (relay.human || !pending_.contains(relay.reply_to)) return false;
  relay.raw += delta;
  const chat::Millis due = relay.last_sent + config_.bot.stream_update_ms;
  if (relay.parts_sent == 0 || now_ms() >= due) {
    flush_relay(relay);
    return !relay.human;
  }
  if (!relay.update) {
    relay.update = std::make_unique<asio::steady_timer>(executor_);
    relay.update->expires_after(std::chrono::milliseconds(due - now_ms()));
    relay.update->async_wait([this, &relay](boost::system::error_code error) {
      if (error) return;  // cancelled: the answer is over
      relay.update.reset();
      flush_relay(relay);
    });
  }
  return true;
}

asio::awaitable<void> BotConversation::ask_bot(std::string conversation_id, Caller customer,
                                               std::string text, std::string message_id,
                                               std::string lang, bool client_streams) {
  const PendingAnswer asked{.conversation_id = conversation_id,
                            .customer_id = customer.user_id,
                            .customer_name = customer.name,
                            .text = text,
                            .lang = lang};
  chat::BotChatRequest request{conversation_id, customer.user_id, std::move(text), message_id,
                               lang};
  StreamRelay relay{.conversation_id = conversation_id,
                    .customer_id = customer.user_id,
                    .reply_to = message_id,
                    .answer_id = util::time_ordered_id("m_", now_ms())};
  BotDeltaSink on_delta = [this, &relay](std::string_view delta) {
    return relay_delta(relay, delta);
  };
  const BotOutcome outcome = co_await bot_.ask(request, std::move(on_delta), client_streams);
  // The update waiting is not sent: the final answer (or the apology) carries the whole text.
  if (relay.update) {
    relay.update->cancel();
    // Its handler still refers to `relay`: it runs (cancelled) before this frame ends.
    asio::steady_timer settle(executor_, std::chrono::milliseconds(0));
    co_await settle.async_wait(net::kAwaitResult);
  }
  const auto pending = pending_.find(message_id);
  if (pending == pending_.end()) {
    // The webhook answered while the bot was being asked: this answer's half goes.
    if (relay.parts_sent > 0)
      send_interrupted(conversation_id, customer.user_id, relay.answer_id, message_id);
    co_return;
  }
  if (outcome.stopped || (relay.human && outcome.streamed)) {
    // A human has the customer: the half answer is withdrawn, nothing is stored.
    pending_.erase(pending);
    if (relay.parts_sent > 0)
      send_interrupted(conversation_id, customer.user_id, relay.answer_id, message_id);
    co_return;
  }
  if (outcome.answer) {
    pending_.erase(pending);
    const bool delivered = deliver(asked, message_id, *outcome.answer,
                                   outcome.streamed ? relay.answer_id : std::string());
    if (relay.parts_sent > 0 && !delivered) {
      send_interrupted(conversation_id, customer.user_id, relay.answer_id, message_id);
    } else if (relay.parts_sent > 0) {
      forget_partial(conversation_id, relay.answer_id);
    }
    if (delivered && outcome.failed) figures_.bot_failed(now_ms());
    co_return;
  }
  // The bot promised a webhook; if it does not come within the bot timeout, apologise.
  auto& deadline = pending->second.deadline;
  deadline = std::make_unique<asio::steady_timer>(
      executor_, std::chrono::milliseconds(config_.bot.timeout_ms));
  auto [error] = co_await deadline->async_wait(net::kAwaitResult);
  if (error || !pending_.contains(message_id)) co_return;  // the webhook answered first
  pending_.erase(message_id);
  if (webhook_stream_under_way(message_id)) co_return;  // its parts come, on any node
  metrics_.error("bot_webhook_timeout");
  if (deliver(asked, message_id, chat::bot_unavailable_answer(asked.lang))) {
    figures_.bot_failed(now_ms());
  }
}

bool BotConversation::deliver(const PendingAnswer& pending, const std::string& reply_to,
                              const chat::BotAnswer& answer, const std::string& answer_id) {
  const std::string& conversation_id = pending.conversation_id;
  const std::string& customer_id = pending.customer_id;
  // Whatever arrives once a human has the customer is dropped, however late.
  if (human_has_conversation(conversation_id)) return false;
  chat::MessageRecord record;
  record.stream_id = conversation_id;
  record.created_at = now_ms();
  record.message_id =
      answer_id.empty() ? util::time_ordered_id("m_", record.created_at) : answer_id;
  record.sender_id = "bot";
  record.sender_role = chat::SenderRole::kBot;
  record.text = answer.bot_message;
  // A bot may repeat what it was told: what it says is masked like what customers say.
  if (config_.privacy.mask_identifiers) chat::mask_identifiers(record.text);
  record.reply_to = reply_to;
  const chat::AppendResult stored = store_.append_message(record);
  if (stored.status != chat::AppendStatus::kStored)
    return false;  // already answered: one answer only
  figures_.message(stored.message.created_at);
  try {
    // So that a streamed answer that starts later shows nothing (on any node).
    answers_->put("bot-answered:" + reply_to, stored.message.message_id, 600);
    if (clustered_) answers_->clear(asked_key(reply_to));
  } catch (const util::SharedStateUnavailable&) {
    metrics_.error("bot_answer_note_failed");
  }
  const bool apology = answer.category == chat::kCategoryBotUnavailable;
  if (!apology) outcomes_.answered(conversation_id, stored.message.created_at);
  if (answer.need_human) {
    // What the consult request the customer opens next (at once, or when they press the
    // widget's button) is put down to.
    try {
      answers_->put("bot-handover:" + customer_id, apology ? "failed" : "need_human", 600);
    } catch (const util::SharedStateUnavailable&) {
      metrics_.error("bot_answer_note_failed");  // counted as the customer's own request
    }
  }
  json::object body{{"conversationId", conversation_id},
                    {"messageId", stored.message.message_id},
                    {"replyTo", reply_to},
                    {"seq", stored.message.seq},
                    {"botMessage", stored.message.text},
                    {"partial", false},
                    {"needHuman", answer.need_human},
                    {"category", answer.category},
                    {"timestamp", timestamp_of(stored.message.created_at)}};
  publisher_.send_to_user(customer_id, "/queue/bot/response", "application/json",
                          json::serialize(body));
  if (answer.need_human && config_.bot.need_human == "queue" && hand_over_) {
    hand_over_(HandOver{
        .customer = Caller{customer_id, auth::Role::kCustomer,
                           pending.customer_name.empty() ? customer_id : pending.customer_name},
        .category = answer.category.empty() ? std::string("bot_handover") : answer.category,
        .reason = pending.text,
        .bot_message = stored.message.text});
  }
  return true;
}

std::optional<Answer> BotConversation::check_webhook(std::string_view timestamp,
                                                     std::string_view signature,
                                                     std::string_view body) {
  if (webhook_verifier_) {
    const auto verified = webhook_verifier_->verify(timestamp, signature, body, now_ms());
    if (!verified) {
      metrics_.error("webhook_refused");
      const int status = verified.error() == chat::WebhookError::kReplay              ? 409
                         : verified.error() == chat::WebhookError::kReplayUncheckable ? 503
                                                                                      : 401;
      return error_answer(status, chat::to_string(verified.error()),
                          chat::describe(verified.error()));
    }
  } else if (config_.bot.webhook_require_signature) {
    metrics_.error("webhook_refused");
    return error_answer(503, "webhook_disabled",
                        "bot.webhook-secret is not configured, so webhooks cannot be verified");
  }
  return std::nullopt;
}

bool BotConversation::webhook_checks_block() const {
  return webhook_verifier_ && webhook_verifier_->checks_block();
}

void BotConversation::forget_webhook(std::string_view timestamp, std::string_view signature,
                                     std::string_view body) {
  if (webhook_verifier_) webhook_verifier_->forget(timestamp, signature, body);
}

util::Result<std::string, Answer> BotConversation::message_answered(
    const chat::BotWebhook& webhook, const std::string& conversation_id) {
  std::string reply_to;
  if (webhook.reply.reply_to) {
    reply_to = *webhook.reply.reply_to;
    bool belongs =
        pending_.contains(reply_to) && pending_.at(reply_to).conversation_id == conversation_id;
    if (!belongs) {
      for (const auto& message : store_.read_messages(conversation_id, 0, 100000)) {
        if (message.message_id == reply_to && message.sender_role == chat::SenderRole::kCustomer)
          belongs = true;
      }
    }
    if (!belongs)
      return util::unexpected(
          error_answer(404, "not_found", "replyTo is not a message of this session"));
  } else {
    const PendingAnswer* oldest = nullptr;
    for (const auto& [message_id, pending] : pending_) {
      if (pending.conversation_id == conversation_id &&
          (oldest == nullptr || pending.seq < oldest->seq)) {
        reply_to = message_id;
        oldest = &pending;
      }
    }
    if (reply_to.empty()) {
      const auto recent = store_.read_messages(
          conversation_id, std::max<std::int64_t>(0, store_.last_seq(conversation_id) - 50), 50);
      for (auto it = recent.rbegin(); it != recent.rend() && reply_to.empty(); ++it) {
        if (it->sender_role == chat::SenderRole::kCustomer) reply_to = it->message_id;
      }
    }
    if (reply_to.empty())
      return util::unexpected(
          error_answer(409, "nothing_to_answer", "the customer has sent nothing to answer"));
  }
  return reply_to;
}

Answer BotConversation::webhook(std::string_view body) {
  auto parsed = chat::parse_webhook_body(body);
  if (!parsed) {
    const bool too_large = parsed.error().code == chat::BotBodyError::kTooLarge;
    return error_answer(too_large ? 413 : 400, chat::to_string(parsed.error().code),
                        parsed.error().message);
  }
  const chat::BotWebhook& webhook = parsed.value();
  const auto conversation = store_.find_conversation(webhook.session_id);
  if (!conversation) return error_answer(404, "not_found", "no conversation has this sessionId");
  if (conversation->customer_id != webhook.customer_id) {
    metrics_.error("webhook_refused");
    return error_answer(403, "forbidden", "customerId does not own this session");
  }
  if (webhook.part) return webhook_part(webhook, *conversation);
  auto answered = message_answered(webhook, conversation->id);
  if (!answered) return answered.error();
  const std::string reply_to = std::move(*answered);
  const PendingAnswer asked = asked_for(reply_to, *conversation);
  const bool delivered = deliver(asked, reply_to, webhook.reply.answer);
  if (auto it = pending_.find(reply_to); it != pending_.end()) {
    if (it->second.deadline) it->second.deadline->cancel();
    pending_.erase(it);
  }
  return json_answer(200, json::object{{"ok", true}, {"delivered", delivered}});
}

}  // namespace aicc::center
