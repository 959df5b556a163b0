// What the admin user API (http/user_admin_routes.hpp) asks of routing: an agent's own room limit,
// applied where the routing engine is (with several nodes, at the authority's node, over the bus,
// like a supervisor's status change), and a disabled agent signed out of routing. The user store
// holds the limits; the node that takes the routing authority reads them all
// (set_room_limits_source), so a limit set while the authority moves is not lost.
#include <spdlog/spdlog.h>

#include <boost/json/serialize.hpp>

#include "center/contact_center.hpp"
#include "center/service_util.hpp"

namespace aicc::center {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;

constexpr std::size_t kMaxUserIdBytes = 128;

}  // namespace

asio::awaitable<Answer> ContactCenter::set_agent_room_limit(Caller caller, std::string agent_id,
                                                            int max_rooms) {
  if (caller.role != auth::Role::kAdmin) co_return error_answer(403, "forbidden", "admins only");
  const std::string argument =
      json::serialize(json::object{{"agentId", std::move(agent_id)}, {"maxRooms", max_rooms}});
  co_return co_await view(View::kRoomLimit, std::move(caller), argument);
}

asio::awaitable<Answer> ContactCenter::sign_out_agent(Caller caller, std::string agent_id) {
  if (caller.role != auth::Role::kAdmin) co_return error_answer(403, "forbidden", "admins only");
  const std::string argument = json::serialize(json::object{{"agentId", std::move(agent_id)}});
  co_return co_await view(View::kSignOutAgent, std::move(caller), argument);
}

Answer ContactCenter::room_limit_now(const Caller& caller, const std::string& argument) {
  if (caller.role != auth::Role::kAdmin) return error_answer(403, "forbidden", "admins only");
  const auto body = object_of(argument);
  const auto agent_id = body ? text_field(*body, "agentId", kMaxUserIdBytes) : std::nullopt;
  const json::value* limit = body ? body->if_contains("maxRooms") : nullptr;
  if (!agent_id || limit == nullptr || !limit->is_int64())
    return error_answer(400, "bad_request", "agentId and maxRooms");
  const int max_rooms = static_cast<int>(limit->as_int64());
  apply(routing_.set_room_limit(*agent_id, max_rooms, now_ms()));
  spdlog::info("routing: room limit of agent {} set to {}", *agent_id,
               routing_.max_rooms_of(*agent_id));
  return json_answer(
      200, json::object{{"agentId", *agent_id}, {"maxRooms", routing_.max_rooms_of(*agent_id)}});
}

Answer ContactCenter::sign_out_agent_now(const Caller& caller, const std::string& argument) {
  if (caller.role != auth::Role::kAdmin) return error_answer(403, "forbidden", "admins only");
  const auto body = object_of(argument);
  const auto agent_id = body ? text_field(*body, "agentId", kMaxUserIdBytes) : std::nullopt;
  if (!agent_id) return error_answer(400, "bad_request", "agentId");
  bool online = false;
  for (const chat::AgentView& known : routing_.agents()) {
    if (known.agent.id == *agent_id) online = known.online;
  }
  // Like an agent who signs out: no more offers or assignments; the rooms they have go back to
  // the queue once agent_grace runs out after their connections closed.
  if (online) apply(routing_.agent_logout(*agent_id, now_ms()));
  return json_answer(200, json::object{{"agentId", *agent_id}, {"signedOut", online}});
}

}  // namespace aicc::center
