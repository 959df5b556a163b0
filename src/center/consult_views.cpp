#include "center/consult_views.hpp"

#include <algorithm>
#include <boost/json/array.hpp>
#include <boost/json/value.hpp>

#include "center/service_util.hpp"
#include "center/wire_json.hpp"

namespace aicc::center {
namespace {

namespace json = boost::json;

constexpr std::size_t kNotesPerRoom = 200;  // a room's private notes in GET /api/agent/rooms

json::value id_or_null(const std::optional<std::string>& id) {
  return id ? json::value(*id) : json::value(nullptr);
}

// The handoff summary of `conversation_id` when it was made for `request_id`, else null.
json::value summary_of(BotConversation& bot, const std::optional<std::string>& conversation_id,
                       const std::string& request_id) {
  if (!conversation_id) return nullptr;
  auto summary = bot.handoff_summary(*conversation_id, request_id);
  return summary ? json::value(std::move(*summary)) : json::value(nullptr);
}

// What the bot achieved over the last day, beside how satisfied customers were with its answers
// (the agents' satisfaction is `satisfaction`).
json::object bot_outcomes_json(const chat::BotOutcomeFigures& figures,
                               const chat::RatingSummary& ratings) {
  json::object handed{{"total", figures.handed_over()},
                      {"botNeedHuman", figures.bot_need_human},
                      {"botFailed", figures.bot_failed},
                      {"customerAsked", figures.customer_asked}};
  json::object satisfaction{{"count", ratings.count}};
  satisfaction["average"] = ratings.count > 0 ? json::value(ratings.average) : json::value(nullptr);
  json::object out{{"windowHours", 24},
                   {"answered", figures.answered},
                   {"resolvedByBot", figures.resolved},
                   {"handedOver", std::move(handed)},
                   {"botSatisfaction", std::move(satisfaction)}};
  out["resolutionRate"] =
      figures.resolution_rate >= 0 ? json::value(figures.resolution_rate) : json::value(nullptr);
  return out;
}

}  // namespace

Answer ConsultViews::current_consult(const std::string& customer_id) {
  std::optional<std::string> conversation_id;
  if (auto conversation = store_.conversation_of_customer(customer_id))
    conversation_id = conversation->id;
  const auto status = routing_.customer_status(customer_id);
  json::value request = nullptr;
  if (status) {
    json::object body = consult_status_json(*status);
    add_expected_wait(body, *status, figures_, now_ms());
    request = std::move(body);
  }
  json::value answer = nullptr;
  if (conversation_id) {
    if (auto so_far = bot_.answer_so_far(*conversation_id)) {
      answer = json::object{{"messageId", so_far->message_id},
                            {"replyTo", so_far->reply_to},
                            {"part", so_far->part},
                            {"text", so_far->text}};
    }
  }
  return json_answer(200, json::object{{"conversationId", id_or_null(conversation_id)},
                                       {"request", std::move(request)},
                                       {"botAnswer", std::move(answer)}});
}

Answer ConsultViews::queue() {
  json::array requests;
  for (const chat::WaitingView& w : routing_.waiting()) {
    std::optional<std::string> conversation_id;
    if (auto conversation = store_.conversation_of_customer(w.customer_id))
      conversation_id = conversation->id;
    requests.push_back(json::object{{"requestId", w.request_id},
                                    {"customerId", w.customer_id},
                                    {"customerName", w.customer_name},
                                    {"category", w.details.category},
                                    {"reason", w.details.reason},
                                    {"lastBotMessage", w.details.last_bot_message},
                                    {"waitingSince", timestamp_of(w.waiting_since)},
                                    {"position", w.position},
                                    {"requeued", w.requeued},
                                    {"conversationId", id_or_null(conversation_id)},
                                    {"summary", summary_of(bot_, conversation_id, w.request_id)}});
  }
  return json_answer(200, json::object{{"requests", std::move(requests)}});
}

Answer ConsultViews::agent_rooms(const std::string& agent_id) {
  json::array rooms;
  for (const chat::RoomView& room : routing_.rooms()) {
    if (room.agent.id != agent_id) continue;
    std::optional<std::string> conversation_id;
    if (auto stored = store_.find_room(room.room_id)) conversation_id = stored->conversation_id;
    json::object item{
        {"roomId", room.room_id},
        {"requestId", room.request_id},
        {"customer", {{"id", room.customer.id}, {"displayName", room.customer.display_name}}},
        {"category", room.details.category},
        {"conversationId", id_or_null(conversation_id)},
        {"summary", summary_of(bot_, conversation_id, room.request_id)}};
    if (room.assigned_at) item["assignedAt"] = timestamp_of(*room.assigned_at);
    json::array notes;
    for (const auto& note : store_.room_notes(room.room_id, kNotesPerRoom))
      notes.push_back(note_json(note));
    item["notes"] = std::move(notes);
    rooms.push_back(std::move(item));
  }
  return json_answer(200, json::object{{"rooms", std::move(rooms)}});
}

Answer ConsultViews::agents() {
  json::array agents;
  for (const chat::AgentView& agent : routing_.agents()) {
    json::object entry = agent_json(agent);
    // What the agent chose last, kept through reconnects and logouts (`state` is what routing
    // makes of it now): a reloaded console logs in with it.
    entry["status"] = chat::to_string(agent.status);
    agents.push_back(std::move(entry));
  }
  return json_answer(200, json::object{{"agents", std::move(agents)}});
}

Answer ConsultViews::stats() {
  const chat::Millis now = now_ms();
  const auto waiting = routing_.waiting();
  chat::Millis longest_wait = 0;
  for (const auto& w : waiting) longest_wait = std::max(longest_wait, now - w.waiting_since);
  figures_.queue_length(waiting.size(), now);

  // "available" counts the agents who can take a chat now; "full" those available but at
  // capacity (their own room limit, or routing.max-rooms-per-agent), who cannot.
  json::object agents{
      {"available", 0}, {"full", 0}, {"away", 0}, {"offline", 0}, {"reconnecting", 0}};
  json::array list;
  for (const chat::AgentView& agent : routing_.agents()) {
    const std::string_view presence = chat::presence_of(agent);
    const bool full = presence == "available" && agent.active_rooms >= agent.max_rooms;
    json::value& count = agents[full ? std::string_view("full") : presence];
    count = count.as_int64() + 1;
    list.push_back(agent_json(agent));
  }
  agents["list"] = std::move(list);

  std::size_t open_rooms = 0;
  open_rooms = rooms_.size();
  const chat::BotFigures bot = figures_.bot(now);
  // Satisfaction of the last day, from the stored ratings (it survives a restart).
  constexpr chat::Millis kSatisfactionWindow = 24 * 60 * 60'000;
  const chat::RatingSummary ratings = store_.rating_summary(now - kSatisfactionWindow);
  const chat::RatingSummary bot_ratings = store_.bot_rating_summary(now - kSatisfactionWindow);
  json::object satisfaction{{"count", ratings.count}, {"windowHours", 24}};
  satisfaction["average"] = ratings.count > 0 ? json::value(ratings.average) : json::value(nullptr);
  json::array history;
  for (const chat::QueueSample& sample : figures_.queue_history(now)) {
    history.push_back(json::object{{"t", timestamp_of(sample.at)}, {"waiting", sample.waiting}});
  }
  return json_answer(
      200, json::object{
               {"now", timestamp_of(now)},
               {"waiting", {{"count", waiting.size()}, {"longestWaitMs", longest_wait}}},
               {"agents", std::move(agents)},
               {"rooms", {{"open", open_rooms}}},
               {"messagesPerMinute", figures_.messages_per_minute(now)},
               {"bot",
                {{"asked", bot.asked}, {"failed", bot.failed}, {"failureRate", bot.failure_rate}}},
               {"queueHistory", std::move(history)},
               {"satisfaction", std::move(satisfaction)},
               {"botOutcomes", bot_outcomes_json(outcomes_.figures(now), bot_ratings)},
           });
}

}  // namespace aicc::center
