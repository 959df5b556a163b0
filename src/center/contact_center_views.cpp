// The read-only views' entry points (center/consult_views.hpp computes them): the role check on
// the caller's thread, then the view read on the service executor, where the routing engine's
// state belongs. With several nodes the engine is filled only on the node holding the routing
// authority: the other nodes ask it for the view on the bus (contact_center_cluster.cpp) and hand
// its answer on.
#include "center/contact_center.hpp"
#include "center/service_util.hpp"

namespace aicc::center {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;

bool is_agent_or_admin(const Caller& caller) {
  return caller.role == auth::Role::kAgent || caller.role == auth::Role::kAdmin;
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

asio::awaitable<Answer> ContactCenter::view(View which, Caller caller, std::string argument) {
  // The engine is filled only where the routing authority is: elsewhere the view is asked of it.
  if (bus_ != nullptr && !lease_.held())
    co_return co_await view_at_authority(which, std::move(caller), std::move(argument));
  auto work = [this, which, caller = std::move(caller), argument = std::move(argument)] {
    return view_now(which, caller, argument);
  };
  co_return co_await on_service(std::move(work));
}

Answer ContactCenter::view_now(View which, const Caller& caller, const std::string& argument) {
  switch (which) {
    case View::kCurrentConsult:
      return views_.current_consult(caller.user_id);
    case View::kQueue:
      return views_.queue();
    case View::kAgentRooms:
      return views_.agent_rooms(caller.user_id);
    case View::kAgents:
      return views_.agents();
    case View::kStats:
      return views_.stats();
    case View::kSuperviseAgent:
      return supervise_agent_now(caller, argument);
    case View::kRoomLimit:
      return room_limit_now(caller, argument);
    case View::kSignOutAgent:
      return sign_out_agent_now(caller, argument);
  }
  return error_answer(404, "not_found", "no such view");
}

}  // namespace aicc::center
