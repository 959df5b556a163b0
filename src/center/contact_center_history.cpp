// The customer's own past and what agents see of a customer. GET /api/consult/history lists the
// rooms of the caller's conversation (who served them, when, how it ended, their rating), so a
// reloaded widget, or a member on another device, shows every earlier chat with an agent, not only
// the bot part. GET /api/customers/{id}/context gives agents the same list beside the chat, with
// where the customer is (the page, referrer, language and browser their widget reported with
// /app/customer.context). Both read the store only (no routing state), so any node answers them.
// GET /api/consult/hours says whether agents are there now (the configured business hours).
#include <algorithm>
#include <boost/json/array.hpp>
#include <boost/json/value.hpp>
#include <unordered_map>

#include "broker/domain_error.hpp"
#include "center/contact_center.hpp"
#include "center/service_util.hpp"

namespace aicc::center {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;

constexpr std::size_t kRoomsInHistory = 50;  // the newest rooms a customer is shown

}  // namespace

json::array ContactCenter::rooms_of_customer(const std::string& conversation_id) {
  const auto names = agent_names();
  auto all = store_.rooms_of_conversation(conversation_id);
  const std::size_t skip = all.size() > kRoomsInHistory ? all.size() - kRoomsInHistory : 0;
  json::array rooms;
  for (std::size_t i = skip; i < all.size(); ++i) {
    const chat::RoomRecord& room = all[i];
    const auto name = names.find(room.agent_id);
    json::object item{{"roomId", room.id},
                      {"agentId", room.agent_id},
                      {"agentName", name == names.end() ? std::string() : name->second},
                      {"category", room.category},
                      {"createdAt", timestamp_of(room.created_at)},
                      {"lastSeq", store_.last_seq(room.id)}};
    if (room.closed_at) item["closedAt"] = timestamp_of(*room.closed_at);
    if (auto rating = store_.find_rating(room.id))
      item["rating"] = json::object{{"score", rating->score}, {"comment", rating->comment}};
    rooms.push_back(std::move(item));
  }
  return rooms;
}

asio::awaitable<Answer> ContactCenter::customer_history(Caller caller) {
  if (caller.role != auth::Role::kCustomer)
    co_return error_answer(403, "forbidden", "customers only: their own conversations");
  auto work = [this, customer_id = std::move(caller.user_id)] {
    const auto conversation = store_.conversation_of_customer(customer_id);
    return json_answer(
        200,
        json::object{
            {"conversationId", conversation ? json::value(conversation->id) : json::value(nullptr)},
            {"rooms", conversation ? rooms_of_customer(conversation->id) : json::array()}});
  };
  co_return co_await on_service(std::move(work));
}

asio::awaitable<Answer> ContactCenter::customer_context(Caller caller, std::string customer_id) {
  if (caller.role != auth::Role::kAgent && caller.role != auth::Role::kAdmin)
    co_return error_answer(403, "forbidden", "agents and supervisors only");
  auto work = [this, customer_id = std::move(customer_id)] {
    const auto conversation = store_.conversation_of_customer(customer_id);
    json::value context = nullptr;
    if (auto known = store_.customer_context(customer_id)) {
      context = json::object{{"pageUrl", known->page_url},
                             {"pageTitle", known->page_title},
                             {"referrer", known->referrer},
                             {"lang", known->lang},
                             {"userAgent", known->user_agent},
                             {"memberId", known->member_id},
                             {"updatedAt", timestamp_of(known->updated_at)}};
    }
    return json_answer(
        200,
        json::object{
            {"customerId", customer_id},
            {"conversationId", conversation ? json::value(conversation->id) : json::value(nullptr)},
            {"context", std::move(context)},
            {"rooms", conversation ? rooms_of_customer(conversation->id) : json::array()}});
  };
  co_return co_await on_service(std::move(work));
}

Answer ContactCenter::business_hours_now() const {
  const chat::Millis now = now_ms();
  json::object body{{"alwaysOpen", !hours_.has_value()}, {"open", !hours_ || hours_->open_at(now)}};
  if (hours_) {
    body["weekly"] = hours_->weekly_text();
    body["timeZone"] = hours_->time_zone();
    if (auto opens = hours_->next_opening(now); opens && *opens > now)
      body["opensAt"] = timestamp_of(*opens);
    if (auto closes = hours_->closing_at(now)) body["closesAt"] = timestamp_of(*closes);
  }
  return json_answer(200, body);
}

void ContactCenter::add_context_handlers(broker::AppRouter& router) {
  // What the widget says of where the customer is, on every connect. Informative only: shown to
  // agents as told; every field is bounded.
  router.add(
      "/app/customer.context", [this](const broker::AppMessage& message) -> broker::AppResult {
        auto body = object_of(message.body);
        chat::CustomerContext context;
        bool ok = body.has_value();
        auto field = [&](std::string_view name, std::size_t limit, std::string& out) {
          if (!ok) return;
          auto value = text_field(*body, name, limit);
          if (!value)
            ok = false;
          else
            out = std::move(*value);
        };
        field("pageUrl", 2048, context.page_url);
        field("pageTitle", 300, context.page_title);
        field("referrer", 2048, context.referrer);
        field("lang", 16, context.lang);
        field("userAgent", 512, context.user_agent);
        field("memberId", 128, context.member_id);
        if (!ok) {
          broker::send_domain_error(
              publisher_, message.sender.user_id, "bad_request",
              "pageUrl, referrer (at most 2048 bytes), pageTitle (300), lang (16), userAgent "
              "(512) and memberId (128) must be strings",
              message.frame);
          return broker::AppResult::refused();
        }
        context.customer_id = message.sender.user_id;
        return on_request(message, "customer context",
                          [this, context = std::move(context)](Request&) mutable {
                            context.updated_at = now_ms();
                            store_.set_customer_context(context);
                          });
      });
}

}  // namespace aicc::center
