// What the bot does for agents (protocol 2, chat/bot_assist.hpp): a handoff summary when a
// customer asks for a person, and replies the room's agent could send next. Both are asked for
// after the fact and never hold anything up: the consult request is offered at once, and the
// summary follows when (and if) the bot gives one; a suggestion reaches only the room's agent,
// and nothing of it reaches the customer unless the agent sends it.
#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>

#include "center/bot_conversation.hpp"
#include "center/service_util.hpp"
#include "chat/personal_data.hpp"

namespace aicc::center {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

constexpr std::int64_t kSummaryKeptSeconds = 7 * 24 * 3600;
constexpr std::size_t kMessagesForSuggestions = 20;
constexpr std::size_t kLanguagesKept = 100'000;

// The page language of a conversation's customer, for the node that asks for a summary.
std::string language_key(std::string_view conversation_id) {
  return "bot-lang:" + std::string(conversation_id);
}
constexpr std::int64_t kLanguageKeptSeconds = 24 * 3600;

std::string summary_key(std::string_view conversation_id) {
  return "bot-summary:" + std::string(conversation_id);
}

std::string_view turn_from(chat::SenderRole role) {
  switch (role) {
    case chat::SenderRole::kCustomer:
      return "customer";
    case chat::SenderRole::kBot:
      return "bot";
    default:
      return "agent";
  }
}

// The stored messages as the bot is told them: placeholders for personal data, as in its chat.
std::vector<chat::BotTurn> turns_of(const std::vector<chat::MessageRecord>& messages) {
  std::vector<chat::BotTurn> turns;
  for (const chat::MessageRecord& message : messages) {
    if (message.text.empty()) continue;  // a file with no words
    // Stored masked: redact_for_bot gives the masked numbers their placeholders too.
    turns.push_back(chat::BotTurn{std::string(turn_from(message.sender_role)),
                                  chat::redact_for_bot(message.text)});
  }
  return turns;
}

// Runs `work` on `executor`; a failure is logged, never thrown at the executor.
template <typename Work>
void spawn_logged(const asio::any_io_executor& executor, std::string_view what, Work work) {
  asio::co_spawn(executor, std::move(work), [what](const std::exception_ptr& failure) {
    if (!failure) return;
    try {
      std::rethrow_exception(failure);
    } catch (const std::exception& e) {
      spdlog::error("bot {} failed: {}", what, e.what());
    }
  });
}

}  // namespace

void BotConversation::remember_language(const std::string& conversation_id,
                                        const std::string& lang) {
  if (lang.empty()) return;
  if (languages_.size() >= kLanguagesKept && !languages_.contains(conversation_id))
    languages_.clear();  // a rough bound: only the summary's language depends on it
  languages_[conversation_id] = lang;
  if (!clustered_) return;
  try {
    // The node that asks for the summary may not be the customer's. Noted with every message
    // (another node may have noted another language since this one last did).
    answers_->put(language_key(conversation_id), lang, kLanguageKeptSeconds);
  } catch (const util::SharedStateUnavailable&) {
    metrics_.error("bot_answer_note_failed");  // this node still knows it
  }
}

std::string BotConversation::language_of(const std::string& conversation_id) {
  if (clustered_) {
    try {
      if (auto lang = answers_->get(language_key(conversation_id))) return *lang;
    } catch (const util::SharedStateUnavailable&) {
    }
  }
  const auto known = languages_.find(conversation_id);
  return known == languages_.end() ? std::string() : known->second;
}

void BotConversation::summarize_handoff(const std::string& request_id,
                                        const std::string& customer_id) {
  const auto conversation = store_.conversation_of_customer(customer_id);
  if (!conversation) return;
  try {
    // Once per request, whichever node offers it (a request is offered again to agents who log
    // in later, and after a requeue).
    if (!answers_->add("bot-summary-asked:" + request_id, kSummaryKeptSeconds)) return;
  } catch (const util::SharedStateUnavailable&) {
    return;  // a summary is a help, not a duty
  }
  const std::int64_t last = store_.last_seq(conversation->id);
  std::vector<chat::BotTurn> turns = turns_of(store_.read_messages(
      conversation->id,
      std::max<std::int64_t>(0, last - static_cast<std::int64_t>(chat::kBotAssistMessages)),
      chat::kBotAssistMessages));
  auto work = [this, request_id, conversation_id = conversation->id, customer_id,
               lang = language_of(conversation->id),
               turns = std::move(turns)]() mutable -> asio::awaitable<void> {
    auto summary = co_await bot_.summarize(conversation_id, customer_id, lang, std::move(turns));
    if (!summary) co_return;
    // Bot output, masked like the bot's answers.
    if (config_.privacy.mask_identifiers) chat::mask_identifiers(summary->summary);
    json::object about{{"text", summary->summary},
                       {"category", summary->category},
                       {"mood", summary->mood},
                       {"requestId", request_id}};
    try {
      answers_->put(summary_key(conversation_id), json::serialize(about), kSummaryKeptSeconds);
    } catch (const util::SharedStateUnavailable&) {
      metrics_.error("bot_summary_note_failed");  // the consoles open now still get it
    }
    about.erase("requestId");
    json::object body{{"requestId", request_id},
                      {"conversationId", conversation_id},
                      {"customerId", customer_id},
                      {"summary", std::move(about)}};
    // Like the offer it follows: only to the agents who see the request (not to those who
    // rejected it, nor to anyone once it is over).
    if (!summary_audience_) co_return;
    const std::vector<std::string> audience = summary_audience_(request_id);
    if (audience.empty()) co_return;
    publisher_.publish_to_users("/topic/consult/summary", audience, "application/json",
                                json::serialize(body));
  };
  spawn_logged(executor_, "summary", std::move(work));
}

std::optional<json::object> BotConversation::handoff_summary(const std::string& conversation_id,
                                                             const std::string& request_id) {
  std::optional<std::string> note;
  try {
    note = answers_->get(summary_key(conversation_id));
  } catch (const util::SharedStateUnavailable&) {
    return std::nullopt;
  }
  if (!note) return std::nullopt;
  auto object = object_of(*note);
  if (!object) return std::nullopt;
  // An earlier request's summary is not this one's.
  const json::value* made_for = object->if_contains("requestId");
  if (!request_id.empty() &&
      (made_for == nullptr || !made_for->is_string() || made_for->get_string() != request_id))
    return std::nullopt;
  object->erase("requestId");
  return object;
}

void BotConversation::forget_customer(const std::string& customer_id,
                                      const std::string& conversation_id) {
  try {
    answers_->clear("bot-handover:" + customer_id);
    if (!conversation_id.empty()) {
      answers_->clear(summary_key(conversation_id));
      answers_->clear(so_far_key(conversation_id));
      answers_->clear(language_key(conversation_id));
    }
  } catch (const util::SharedStateUnavailable& e) {
    // They expire (a summary within a week): said, so that an operator can clear them.
    spdlog::warn("customer erasure: the bot's notes could not be cleared now: {}", e.what());
  }
}

void BotConversation::suggest_replies(const chat::MessageRecord& customer_message) {
  if (!config_.bot.suggest_replies) return;
  const auto room = store_.find_room(customer_message.stream_id);
  if (!room || room->closed_at || room->agent_id.empty()) return;
  const std::int64_t seq = customer_message.seq;
  std::vector<chat::BotTurn> turns = turns_of(store_.read_messages(
      room->id, std::max<std::int64_t>(0, seq - static_cast<std::int64_t>(kMessagesForSuggestions)),
      kMessagesForSuggestions));
  auto work = [this, room = *room, message_id = customer_message.message_id, seq,
               lang = language_of(room->conversation_id),
               turns = std::move(turns)]() mutable -> asio::awaitable<void> {
    const auto suggestions = co_await bot_.suggest(room.id, room.conversation_id, room.customer_id,
                                                   lang, std::move(turns));
    if (!suggestions || suggestions->empty()) co_return;
    // Only to the agent who has the room now: not after a transfer, not after the close.
    const auto now = store_.find_room(room.id);
    if (!now || now->closed_at || now->agent_id != room.agent_id) co_return;
    json::array texts;
    for (std::string text : *suggestions) {
      if (config_.privacy.mask_identifiers) chat::mask_identifiers(text);
      texts.emplace_back(text);
    }
    json::object body{{"roomId", room.id},
                      {"replyTo", message_id},
                      {"seq", seq},
                      {"suggestions", std::move(texts)},
                      {"timestamp", timestamp_of(now_ms())}};
    publisher_.send_to_user(room.agent_id, "/queue/agent/suggestions", "application/json",
                            json::serialize(body));
  };
  spawn_logged(executor_, "suggestions", std::move(work));
}

}  // namespace aicc::center
