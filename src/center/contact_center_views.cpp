// Read-only views of the contact center for the web pages (see contact_center.hpp): the customer's
// current consult, the queue, an agent's rooms, the agent list and the supervisor's live figures.
//
// The routing engine's state belongs to the service executor, so every view is read there
// (on_service) and serialised there; only the role check happens on the caller's thread. With
// several nodes the engine is filled only on the node holding the routing authority: the other
// nodes ask it for the view on the bus (contact_center_cluster.cpp) and hand its answer on. None of
// them changes anything: GET /api/consult/current in particular never opens a request.
#include <algorithm>
#include <boost/json/array.hpp>
#include <boost/json/value.hpp>

#include "center/contact_center.hpp"
#include "center/service_util.hpp"
#include "center/wire_json.hpp"

namespace aicc::center {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;

bool is_agent_or_admin(const Caller& caller) {
  return caller.role == auth::Role::kAgent || caller.role == auth::Role::kAdmin;
}

json::value id_or_null(const std::optional<std::string>& id) {
  return id ? json::value(*id) : json::value(nullptr);
}

}  // namespace

asio::awaitable<Answer> ContactCenter::current_consult(Caller caller) {
  if (caller.role != auth::Role::kCustomer)
    co_return error_answer(403, "forbidden", "customers only");
  co_return co_await view(View::kCurrentConsult, std::move(caller));
}

asio::awaitable<Answer> ContactCenter::consult_queue(Caller caller) {
  if (!is_agent_or_admin(caller))
    co_return error_answer(403, "forbidden", "agents and admins only");
  co_return co_await view(View::kQueue, std::move(caller));
}

asio::awaitable<Answer> ContactCenter::agent_rooms(Caller caller) {
  if (caller.role != auth::Role::kAgent) co_return error_answer(403, "forbidden", "agents only");
  co_return co_await view(View::kAgentRooms, std::move(caller));
}

asio::awaitable<Answer> ContactCenter::agent_list(Caller caller) {
  if (!is_agent_or_admin(caller))
    co_return error_answer(403, "forbidden", "agents and admins only");
  co_return co_await view(View::kAgents, std::move(caller));
}

asio::awaitable<Answer> ContactCenter::stats(Caller caller) {
  if (caller.role != auth::Role::kAdmin) co_return error_answer(403, "forbidden", "admins only");
  co_return co_await view(View::kStats, std::move(caller));
}

asio::awaitable<Answer> ContactCenter::view(View which, Caller caller) {
  // The engine is filled only where the routing authority is: elsewhere the view is asked of it.
  if (bus_ != nullptr && epoch_ == 0)
    co_return co_await view_at_authority(which, std::move(caller));
  auto work = [this, which, caller = std::move(caller)] { return view_now(which, caller); };
  co_return co_await on_service(std::move(work));
}

Answer ContactCenter::view_now(View which, const Caller& caller) {
  switch (which) {
    case View::kCurrentConsult:
      return current_consult_now(caller.user_id);
    case View::kQueue:
      return consult_queue_now();
    case View::kAgentRooms:
      return agent_rooms_now(caller.user_id);
    case View::kAgents:
      return agent_list_now();
    case View::kStats:
      return stats_now();
  }
  return error_answer(404, "not_found", "no such view");
}

Answer ContactCenter::current_consult_now(const std::string& customer_id) {
  std::optional<std::string> conversation_id;
  if (auto conversation = store_.conversation_of_customer(customer_id))
    conversation_id = conversation->id;
  const auto status = routing_.customer_status(customer_id);
  return json_answer(200,
                     json::object{{"conversationId", id_or_null(conversation_id)},
                                  {"request", status ? json::value(consult_status_json(*status))
                                                     : json::value(nullptr)}});
}

Answer ContactCenter::consult_queue_now() {
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
                                    {"conversationId", id_or_null(conversation_id)}});
  }
  return json_answer(200, json::object{{"requests", std::move(requests)}});
}

Answer ContactCenter::agent_rooms_now(const std::string& agent_id) {
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
        {"conversationId", id_or_null(conversation_id)}};
    if (room.assigned_at) item["assignedAt"] = timestamp_of(*room.assigned_at);
    rooms.push_back(std::move(item));
  }
  return json_answer(200, json::object{{"rooms", std::move(rooms)}});
}

Answer ContactCenter::agent_list_now() {
  json::array agents;
  const int max_rooms = routing_.options().max_rooms_per_agent;
  for (const chat::AgentView& agent : routing_.agents()) {
    json::object entry = agent_json(agent, max_rooms);
    // What the agent chose last, kept through reconnects and logouts (`state` is what routing
    // makes of it now): a reloaded console logs in with it.
    entry["status"] = chat::to_string(agent.status);
    agents.push_back(std::move(entry));
  }
  return json_answer(200, json::object{{"agents", std::move(agents)}});
}

Answer ContactCenter::stats_now() {
  const chat::Millis now = now_ms();
  const auto waiting = routing_.waiting();
  chat::Millis longest_wait = 0;
  for (const auto& w : waiting) longest_wait = std::max(longest_wait, now - w.waiting_since);
  figures_.queue_length(waiting.size(), now);

  json::object agents{{"available", 0}, {"away", 0}, {"offline", 0}, {"reconnecting", 0}};
  json::array list;
  const int max_rooms = routing_.options().max_rooms_per_agent;
  for (const chat::AgentView& agent : routing_.agents()) {
    json::value& count = agents[chat::presence_of(agent)];
    count = count.as_int64() + 1;
    list.push_back(agent_json(agent, max_rooms));
  }
  agents["list"] = std::move(list);

  std::size_t open_rooms = 0;
  open_rooms = rooms_.size();
  const chat::BotFigures bot = figures_.bot(now);
  // Satisfaction of the last day, from the stored ratings (it survives a restart).
  constexpr chat::Millis kSatisfactionWindow = 24 * 60 * 60'000;
  const chat::RatingSummary ratings = store_.rating_summary(now - kSatisfactionWindow);
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
           });
}

}  // namespace aicc::center
