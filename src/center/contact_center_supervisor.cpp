// A supervisor's hand in the queue: POST /api/admin/agents/{id}/status puts an agent in it
// (available), keeps them out of auto-assignment (away) or signs them out of routing (offline),
// as if the agent had done it, and tells their console on /user/queue/agent/status who did it.
// The change is made where the routing engine is, like a view is read (with several nodes, asked
// of the authority's node on the bus).
#include <boost/json/serialize.hpp>

#include "center/contact_center.hpp"
#include "center/service_util.hpp"

namespace aicc::center {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;

constexpr std::size_t kMaxAgentIdBytes = 128;

}  // namespace

asio::awaitable<Answer> ContactCenter::supervise_agent(Caller caller, std::string agent_id,
                                                       std::string body) {
  if (caller.role != auth::Role::kAdmin) co_return error_answer(403, "forbidden", "admins only");
  auto object = object_of(body);
  auto status = object ? text_field(*object, "status", 16) : std::nullopt;
  if (!status || (*status != "available" && *status != "away" && *status != "offline")) {
    co_return error_answer(400, "bad_request",
                           "status must be \"available\", \"away\" or \"offline\"");
  }
  if (agent_id.empty() || agent_id.size() > kMaxAgentIdBytes)
    co_return error_answer(404, "not_found", "no such agent");
  const std::string argument =
      json::serialize(json::object{{"agentId", agent_id}, {"status", *status}});
  co_return co_await view(View::kSuperviseAgent, std::move(caller), argument);
}

Answer ContactCenter::supervise_agent_now(const Caller& caller, const std::string& argument) {
  if (caller.role != auth::Role::kAdmin) return error_answer(403, "forbidden", "admins only");
  const auto body = object_of(argument);
  const auto agent_id = body ? text_field(*body, "agentId", kMaxAgentIdBytes) : std::nullopt;
  const auto status_text = body ? text_field(*body, "status", 16) : std::nullopt;
  if (!agent_id || !status_text) return error_answer(400, "bad_request", "agentId and status");
  std::optional<chat::AgentView> agent;
  for (chat::AgentView& known : routing_.agents()) {
    if (known.agent.id == *agent_id) agent = std::move(known);
  }
  if (!agent) return error_answer(404, "not_found", "no such agent: they never signed in");
  const chat::Millis now = now_ms();
  chat::Effects effects;
  if (*status_text == "offline") {
    if (agent->online) effects = routing_.agent_logout(agent->agent.id, now);
  } else {
    const chat::AgentStatus status = *chat::parse_agent_status(*status_text);
    if (agent->online) {
      effects = routing_.agent_status(agent->agent.id, status, now);
    } else if (agent->connected) {
      effects = routing_.agent_login(agent->agent, now, status);
    } else {
      return error_answer(409, "agent_unavailable",
                          "the agent is not connected: they come back in the queue when they "
                          "open their console");
    }
  }
  for (const chat::Effect& effect : effects) {
    if (const auto* refusal = std::get_if<chat::Refusal>(&effect)) {
      return error_answer(409, chat::to_string(refusal->code), refusal->message);
    }
  }
  apply(std::move(effects), nullptr);
  publisher_.send_to_user(
      agent->agent.id, "/queue/agent/status", "application/json",
      json::serialize(json::object{
          {"status", *status_text}, {"byId", caller.user_id}, {"byName", caller.name}}));
  return json_answer(200, json::object{{"agentId", agent->agent.id}, {"status", *status_text}});
}

}  // namespace aicc::center
