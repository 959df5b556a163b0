// The customer's own past: GET /api/consult/history lists the rooms of their conversation (who
// served them, when, how it ended, their rating), so a reloaded widget, or a member on another
// device, shows every earlier chat with an agent, not only the bot part. It reads the store only
// (no routing state), so any node answers it.
#include <algorithm>
#include <boost/json/array.hpp>
#include <boost/json/value.hpp>
#include <unordered_map>

#include "center/contact_center.hpp"
#include "center/service_util.hpp"

namespace aicc::center {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;

constexpr std::size_t kRoomsInHistory = 50;  // the newest rooms a customer is shown

}  // namespace

asio::awaitable<Answer> ContactCenter::customer_history(Caller caller) {
  if (caller.role != auth::Role::kCustomer)
    co_return error_answer(403, "forbidden", "customers only: their own conversations");
  auto work = [this, customer_id = std::move(caller.user_id)] {
    const auto conversation = store_.conversation_of_customer(customer_id);
    json::array rooms;
    if (conversation) {
      std::unordered_map<std::string, std::string> names;
      for (const chat::AgentRecord& agent : store_.load_agents())
        names[agent.agent.id] = agent.agent.display_name;
      auto all = store_.rooms_of_conversation(conversation->id);
      const std::size_t skip = all.size() > kRoomsInHistory ? all.size() - kRoomsInHistory : 0;
      for (std::size_t i = skip; i < all.size(); ++i) {
        const chat::RoomRecord& room = all[i];
        json::object item{{"roomId", room.id},
                          {"agentId", room.agent_id},
                          {"agentName", names.contains(room.agent_id) ? names[room.agent_id] : ""},
                          {"createdAt", timestamp_of(room.created_at)},
                          {"lastSeq", store_.last_seq(room.id)}};
        if (room.closed_at) item["closedAt"] = timestamp_of(*room.closed_at);
        if (auto rating = store_.find_rating(room.id))
          item["rating"] = json::object{{"score", rating->score}, {"comment", rating->comment}};
        rooms.push_back(std::move(item));
      }
    }
    return json_answer(
        200, json::object{{"conversationId",
                           conversation ? json::value(conversation->id) : json::value(nullptr)},
                          {"rooms", std::move(rooms)}});
  };
  co_return co_await on_service(std::move(work));
}

}  // namespace aicc::center
