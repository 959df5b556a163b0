// Agents' canned responses: GET and PUT /api/agent/canned-responses (see contact_center.hpp).
//
// The body is checked on the caller's I/O thread (size first, so an oversized body is never
// parsed); the store is written on the service executor, like every other store call here. Ids
// are made here, never taken from the client: a PUT replaces the whole list, so every entry gets a
// fresh one.
#include <boost/json/array.hpp>
#include <boost/json/value.hpp>

#include "center/contact_center.hpp"
#include "center/service_util.hpp"
#include "chat/canned_responses.hpp"
#include "util/random.hpp"

namespace aicc::center {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;

Answer list_answer(const std::vector<chat::CannedResponse>& responses) {
  json::array items;
  for (const auto& r : responses) {
    items.push_back(json::object{{"id", r.id}, {"shortcut", r.shortcut}, {"text", r.text}});
  }
  return json_answer(200, json::object{{"responses", std::move(items)}});
}

}  // namespace

asio::awaitable<Answer> ContactCenter::canned_responses(Caller caller) {
  if (caller.role != auth::Role::kAgent) co_return error_answer(403, "forbidden", "agents only");
  auto work = [this, agent_id = std::move(caller.user_id)] {
    return list_answer(store_.canned_responses(agent_id));
  };
  co_return co_await on_service(std::move(work));
}

asio::awaitable<Answer> ContactCenter::replace_canned_responses(Caller caller, std::string body) {
  if (caller.role != auth::Role::kAgent) co_return error_answer(403, "forbidden", "agents only");
  auto parsed = chat::parse_canned_responses(body);
  if (!parsed)
    co_return error_answer(parsed.error().status, parsed.error().code, parsed.error().message);
  std::vector<chat::CannedResponse> responses;
  responses.reserve(parsed->size());
  for (chat::CannedInput& input : parsed.value()) {
    responses.push_back({.id = "cr_" + util::random_hex(12),
                         .shortcut = std::move(input.shortcut),
                         .text = std::move(input.text)});
  }
  auto work = [this, agent_id = std::move(caller.user_id), responses = std::move(responses)] {
    store_.replace_canned_responses(agent_id, responses);
    return list_answer(responses);
  };
  co_return co_await on_service(std::move(work));
}

}  // namespace aicc::center
