// A bot's answer streamed through the webhook: several signed calls carrying the same `answerId`,
// parts numbered from 1, the last with `final: true`. Behind a load balancer each call may reach a
// different node, so the answer's progress is not kept here but in answers_ (Redis with several
// nodes): a call takes it, adds its part and puts it back, which also keeps two calls for the same
// answer from both going on at once (the second finds nothing and is told to send again). The node
// that took the latest part keeps the answer's timer: the update held back, the stall and the
// overall time limit.
#include <spdlog/spdlog.h>

#include <boost/json/serialize.hpp>
#include <chrono>

#include "center/bot_conversation.hpp"
#include "center/service_util.hpp"
#include "chat/bot_stream.hpp"
#include "chat/personal_data.hpp"
#include "util/random.hpp"

namespace aicc::center {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

constexpr std::size_t kMaxStreamTimers = 10'000;   // answers this node keeps a timer for
constexpr std::int64_t kEndedStreamSeconds = 300;  // how long a late or repeated call is known

std::string answering_key(std::string_view reply_to) {
  return "bot-answering:" + std::string(reply_to);
}

std::string answered_key(std::string_view reply_to) {
  return "bot-answered:" + std::string(reply_to);
}

// Runs `what` when the scope it is declared in is left, by a return or an exception.
template <class What>
class AtExit {
 public:
  explicit AtExit(What what) : what_(std::move(what)) {}
  AtExit(const AtExit&) = delete;
  AtExit& operator=(const AtExit&) = delete;
  ~AtExit() { what_(); }

 private:
  What what_;
};

}  // namespace

// How long past a stream's deadline a node that took one of its earlier parts waits for the node
// that took the latest (whose timer it is) before it ends the stream itself.
constexpr chat::Millis kOwnerGraceMs = 2000;
// A stream timer that failed (the shared state or the store out of reach) tries again this often,
// this many times: longer than any answer may take (bot.stream-total-ms is at most 30 minutes).
constexpr chat::Millis kStreamTimerRetryMs = 1000;
constexpr int kStreamTimerRetries = 1900;

struct BotConversation::WebhookStream {
  std::string key{};
  std::string conversation_id{};
  std::string customer_id{};
  std::string customer_name{};  // as far as the node that took part 1 knew them
  std::string question{};       // the customer's message (a hand-over's reason)
  std::string lang{};
  std::string reply_to{};
  std::string answer_id{};  // the messageId the customer sees, and the stored answer keeps
  std::int64_t next_part = 1;
  chat::BotStreamAnswer::Progress progress{};
  std::size_t sent_len = 0;  // bytes of the text the customer was sent
  std::string sent{};        // what they were sent (masked)
  std::int64_t parts_sent = 0;
  chat::Millis last_sent = 0;
  chat::Millis started = 0;
  chat::Millis last_part = 0;
  bool done = false;
  std::string owner{};  // the node that took the latest part, which keeps the timer

  std::string serialize() const {
    json::object object{{"conversationId", conversation_id},
                        {"customerId", customer_id},
                        {"customerName", customer_name},
                        {"question", question},
                        {"lang", lang},
                        {"replyTo", reply_to},
                        {"answerId", answer_id},
                        {"nextPart", next_part},
                        {"text", progress.text},
                        {"parts", progress.parts},
                        {"windowStart", progress.window_start_ms},
                        {"windowParts", progress.window_parts},
                        {"sentLength", sent_len},
                        {"sent", sent},
                        {"partsSent", parts_sent},
                        {"lastSent", last_sent},
                        {"started", started},
                        {"lastPart", last_part},
                        {"done", done},
                        {"owner", owner}};
    return json::serialize(object);
  }

  static std::optional<WebhookStream> parse(std::string key, std::string_view text) {
    const auto object = object_of(text);
    if (!object) return std::nullopt;
    WebhookStream stream;
    stream.key = std::move(key);
    const auto string = [&](std::string_view name) {
      const json::value* value = object->if_contains(name);
      return value && value->is_string() ? std::string(value->get_string()) : std::string();
    };
    const auto number = [&](std::string_view name) -> std::int64_t {
      const json::value* value = object->if_contains(name);
      if (value && value->is_int64()) return value->get_int64();
      if (value && value->is_uint64()) return static_cast<std::int64_t>(value->get_uint64());
      return 0;
    };
    stream.conversation_id = string("conversationId");
    stream.customer_id = string("customerId");
    stream.customer_name = string("customerName");
    stream.question = string("question");
    stream.lang = string("lang");
    stream.reply_to = string("replyTo");
    stream.answer_id = string("answerId");
    stream.next_part = number("nextPart");
    stream.progress.text = string("text");
    stream.progress.parts = static_cast<std::size_t>(number("parts"));
    stream.progress.window_start_ms = number("windowStart");
    stream.progress.window_parts = static_cast<std::size_t>(number("windowParts"));
    stream.sent_len = static_cast<std::size_t>(number("sentLength"));
    stream.sent = string("sent");
    stream.parts_sent = number("partsSent");
    stream.last_sent = number("lastSent");
    stream.started = number("started");
    stream.last_part = number("lastPart");
    const json::value* done = object->if_contains("done");
    stream.done = done && done->is_bool() && done->get_bool();
    stream.owner = string("owner");
    if (stream.answer_id.empty() || stream.conversation_id.empty()) return std::nullopt;
    return stream;
  }
};

bool BotConversation::webhook_stream_under_way(const std::string& reply_to) {
  try {
    return answers_->get(answering_key(reply_to)).has_value();
  } catch (const util::SharedStateUnavailable&) {
    return false;  // the apology then: better than a customer left waiting
  }
}

Answer BotConversation::webhook_part(const chat::BotWebhook& webhook,
                                     const chat::ConversationRecord& conversation) {
  const chat::BotWebhookPart& incoming = *webhook.part;
  const std::string key = "bot-stream:" + conversation.id + ":" + incoming.answer_id;
  const chat::Millis now = now_ms();
  const std::int64_t alive_seconds = stream_alive_seconds();
  std::optional<WebhookStream> stream;
  // Whatever fails once the progress was taken (the store, the shared state), it is put back:
  // the bot's retry finds it, and the stall timer still ends the answer.
  bool taken = false;
  const AtExit put_back{[&] {
    if (taken && stream) put_back_progress(*stream, alive_seconds);
  }};
  try {
    if (auto saved = answers_->take(key)) {
      taken = true;
      stream = WebhookStream::parse(key, *saved);
      if (!stream) return error_answer(500, "internal", "the answer's progress could not be read");
    } else {
      if (incoming.number != 1) {
        return error_answer(409, "part_out_of_order",
                            "part 1 of this answerId has not come, the answer ended long ago, or "
                            "another part of it is being taken now: send this part again shortly");
      }
      // Part 1 starts an answer once: a repeat while its progress is taken must not start another.
      if (!answers_->add(key + ":started", alive_seconds)) {
        return error_answer(409, "part_out_of_order",
                            "this answer is being taken by another call: send this part again "
                            "shortly");
      }
      if (stream_timers_.size() >= kMaxStreamTimers) {
        answers_->clear(key + ":started");
        return error_answer(429, "too_many_streams", "too many answers are being streamed at once");
      }
      auto answered = message_answered(webhook, conversation.id);
      if (!answered) {
        answers_->clear(key + ":started");
        return answered.error();
      }
      // Answered already (the apology, or another answer): nothing of this one is shown.
      if (answers_->get(answered_key(*answered))) {
        answers_->put(
            key,
            WebhookStream{
                .key = key, .conversation_id = conversation.id, .answer_id = "late", .done = true}
                .serialize(),
            kEndedStreamSeconds);
        return json_answer(200, json::object{{"ok", true}, {"delivered", false}});
      }
      stream = WebhookStream{.key = key,
                             .conversation_id = conversation.id,
                             .customer_id = conversation.customer_id,
                             .reply_to = std::move(*answered),
                             .answer_id = util::time_ordered_id("m_", now),
                             .started = now,
                             .last_part = now};
      PendingAnswer asked = asked_for(stream->reply_to, conversation);
      stream->customer_name = std::move(asked.customer_name);
      stream->question = std::move(asked.text);
      stream->lang = std::move(asked.lang);
      if (auto it = pending_.find(stream->reply_to); it != pending_.end()) {
        if (it->second.deadline) it->second.deadline->cancel();
        pending_.erase(it);
      }
      taken = true;
      answers_->put(answering_key(stream->reply_to), incoming.answer_id, alive_seconds);
    }
    // Every call that leaves the answer going makes this node its timer's owner: the former
    // owner's timer may have found the progress taken by this call, and stopped.
    const auto keep = [&] {
      if (!stream->done) own_stream(*stream);
      answers_->put(key, stream->serialize(), stream->done ? kEndedStreamSeconds : alive_seconds);
      taken = false;
    };
    // A repeat first: a bot whose final part's answer was lost learns it was taken.
    if (incoming.number < stream->next_part) {
      keep();
      return json_answer(200, json::object{{"ok", true}, {"duplicate", true}});
    }
    if (stream->done) {
      keep();
      return json_answer(200, json::object{{"ok", true}, {"delivered", false}});
    }
    if (incoming.number > stream->next_part) {
      keep();
      return error_answer(409, "part_out_of_order",
                          "expected part " + std::to_string(stream->next_part) + " of this answer");
    }
    ++stream->next_part;
    stream->last_part = now;
    // Once a human has the customer, or another answer was delivered (a whole one, by the
    // webhook or the reply), the rest of this one is dropped, as it comes.
    if (human_has_conversation(stream->conversation_id) ||
        answers_->get(answered_key(stream->reply_to))) {
      stream->done = true;
      if (stream->parts_sent > 0)
        send_interrupted(stream->conversation_id, stream->customer_id, stream->answer_id,
                         stream->reply_to);
      answers_->clear(answering_key(stream->reply_to));
      keep();
      return json_answer(200, json::object{{"ok", true}, {"delivered", false}});
    }
    chat::BotStreamAnswer assembled({}, stream->progress);
    const auto step = assembled.add(incoming.part, now);
    stream->progress = assembled.progress();
    if (step == chat::BotStreamAnswer::Step::kFailed) {
      metrics_.error("bot_failed");
      spdlog::warn("bot stream cut off session={} answer={}: {}", conversation.id,
                   incoming.answer_id, assembled.problem());
      end_webhook_stream(*stream, chat::bot_unavailable_answer(stream->lang), true);
      keep();
      return error_answer(422, "stream_refused", assembled.problem());
    }
    if (step == chat::BotStreamAnswer::Step::kFinal) {
      const bool taken_back = !assembled.answer();
      const bool delivered = end_webhook_stream(
          *stream, taken_back ? chat::bot_unavailable_answer(stream->lang) : *assembled.answer(),
          taken_back);
      keep();
      return json_answer(200, json::object{{"ok", true}, {"delivered", delivered}});
    }
    const chat::Millis due = stream->last_sent + config_.bot.stream_update_ms;
    if (stream->parts_sent == 0 || now >= due) flush_webhook_stream(*stream);
    keep();
    return json_answer(200, json::object{{"ok", true}, {"part", incoming.number}});
  } catch (const util::SharedStateUnavailable& e) {
    spdlog::warn("bot webhook part session={}: the shared state is unreachable: {}",
                 conversation.id, e.what());
    return error_answer(503, "unavailable", "the answer's progress cannot be reached now; retry");
  }
}

bool BotConversation::unsent(const WebhookStream& stream) const {
  return !next_piece(stream.progress.text, stream.sent_len).empty();
}

bool BotConversation::flush_webhook_stream(WebhookStream& stream) {
  std::string delta = next_piece(stream.progress.text, stream.sent_len);
  if (delta.empty()) return true;
  if (human_has_conversation(stream.conversation_id)) {
    stream.done = true;
    if (stream.parts_sent > 0)
      send_interrupted(stream.conversation_id, stream.customer_id, stream.answer_id,
                       stream.reply_to);
    answers_->clear(answering_key(stream.reply_to));
    return false;
  }
  stream.sent_len += delta.size();
  stream.last_sent = now_ms();
  stream.sent += delta;
  send_partial(stream.conversation_id, stream.customer_id, stream.answer_id, stream.reply_to,
               ++stream.parts_sent, std::move(delta), stream.sent);
  return true;
}

bool BotConversation::end_webhook_stream(WebhookStream& stream, const chat::BotAnswer& answer,
                                         bool failed) {
  stream.done = true;  // what was held back goes with the final answer, which is whole
  if (auto timer = stream_timers_.find(stream.key); timer != stream_timers_.end()) {
    timer->second->cancel();
    stream_timers_.erase(timer);
  }
  const PendingAnswer asked{.conversation_id = stream.conversation_id,
                            .customer_id = stream.customer_id,
                            .customer_name = stream.customer_name,
                            .text = stream.question,
                            .lang = stream.lang};
  const bool delivered = deliver(asked, stream.reply_to, answer, stream.answer_id);
  if (delivered && failed) figures_.bot_failed(now_ms());
  if (!delivered && stream.parts_sent > 0 && human_has_conversation(stream.conversation_id)) {
    send_interrupted(stream.conversation_id, stream.customer_id, stream.answer_id, stream.reply_to);
  } else if (stream.parts_sent > 0) {
    forget_partial(stream.conversation_id, stream.answer_id);
  }
  answers_->clear(answering_key(stream.reply_to));
  return delivered;
}

chat::Millis BotConversation::stream_deadline(const WebhookStream& stream) const {
  return std::min(stream.last_part + config_.bot.stream_idle_ms,
                  stream.started + config_.bot.stream_total_ms);
}

std::int64_t BotConversation::stream_alive_seconds() const {
  return config_.bot.stream_total_ms / 1000 + 60;  // past the time limit: late calls are known
}

void BotConversation::put_back_progress(WebhookStream& stream, std::int64_t seconds) {
  try {
    if (!stream.done) own_stream(stream);  // this node ends it if the bot goes quiet
    answers_->put(stream.key, stream.serialize(), seconds);
  } catch (const std::exception& e) {
    spdlog::warn("bot webhook stream {}: its progress could not be put back: {}", stream.key,
                 e.what());
  }
}

void BotConversation::own_stream(WebhookStream& stream) {
  stream.owner = node_id_;  // another node's timer stands aside
  chat::Millis wake = stream_deadline(stream);
  if (unsent(stream)) wake = std::min(wake, stream.last_sent + config_.bot.stream_update_ms);
  arm_stream_timer(stream.key, wake);
}

void BotConversation::arm_stream_timer(const std::string& key, chat::Millis at) {
  auto& timer = stream_timers_[key];
  if (!timer) timer = std::make_unique<asio::steady_timer>(executor_);
  timer->expires_after(std::chrono::milliseconds(std::max<chat::Millis>(at - now_ms(), 0)));
  timer->async_wait([this, key](boost::system::error_code error) {
    if (error) return;  // armed again, or the answer ended
    stream_timers_.erase(key);
    try {
      on_stream_timer(key);
      stream_timer_failures_.erase(key);
    } catch (const std::exception& e) {
      // The shared state or the store out of reach: tried again a while, as the answer's
      // progress outlives its time limit (then it is the webhook's retry that finds it).
      const int failures = ++stream_timer_failures_[key];
      spdlog::warn("bot webhook stream {}: its timer failed ({} times): {}", key, failures,
                   e.what());
      if (failures < kStreamTimerRetries) {
        arm_stream_timer(key, now_ms() + kStreamTimerRetryMs);
      } else {
        stream_timer_failures_.erase(key);
      }
    }
  });
}

void BotConversation::on_stream_timer(const std::string& key) {
  const chat::Millis now = now_ms();
  // The node that took the latest part keeps the timer. A node that took an earlier one only
  // looks (without taking the progress from a part being taken now), and stands in for the
  // owner once the stream is overdue by kOwnerGraceMs: that node is gone.
  {
    const auto seen = answers_->get(key);
    const auto stream = seen ? WebhookStream::parse(key, *seen) : std::nullopt;
    if (!stream || stream->done) return;
    if (!stream->owner.empty() && stream->owner != node_id_) {
      const chat::Millis overdue = stream_deadline(*stream) + kOwnerGraceMs;
      if (now < overdue) return arm_stream_timer(key, overdue);
    }
  }
  auto saved = answers_->take(key);
  if (!saved) return;  // a part is being taken now (its node owns the timer then), or it expired
  std::optional<WebhookStream> stream = WebhookStream::parse(key, *saved);
  if (!stream) return;
  const std::int64_t alive_seconds = stream_alive_seconds();
  // Put back whatever fails below (the store, the shared state), like a part's.
  bool taken = true;
  const AtExit put_back{[&] {
    if (taken) put_back_progress(*stream, alive_seconds);
  }};
  if (!stream->done) {
    const bool stalled = now >= stream->last_part + config_.bot.stream_idle_ms;
    const bool too_long = now >= stream->started + config_.bot.stream_total_ms;
    if (stalled || too_long) {
      metrics_.error("bot_failed");
      spdlog::warn("bot stream cut off session={}: {}", stream->conversation_id,
                   too_long ? "it ran out of time" : "no part came in time");
      end_webhook_stream(*stream, chat::bot_unavailable_answer(stream->lang), true);
    } else if (now >= stream->last_sent + config_.bot.stream_update_ms) {
      flush_webhook_stream(*stream);
    }
  }
  if (!stream->done) own_stream(*stream);
  answers_->put(key, stream->serialize(), stream->done ? kEndedStreamSeconds : alive_seconds);
  taken = false;
}

}  // namespace aicc::center
