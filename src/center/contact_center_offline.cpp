// Left messages, satisfaction ratings and the admins' audit query (see contact_center.hpp).
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <charconv>
#include <chrono>

#include "broker/domain_error.hpp"
#include "center/contact_center.hpp"
#include "center/service_util.hpp"
#include "center/wire_json.hpp"
#include "util/random.hpp"
#include "util/time.hpp"
#include "util/utf8.hpp"

namespace aicc::center {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;

// The open left messages looked through for the one being taken up.
constexpr std::size_t kOpenLeftMessages = 10'000;

json::object left_message_json(const chat::LeftMessageRecord& m) {
  json::object out{{"id", m.id},
                   {"customerId", m.customer_id},
                   {"customerName", m.customer_name},
                   {"conversationId", m.conversation_id},
                   {"requestId", m.request_id},
                   {"category", m.category},
                   {"contact", m.contact},
                   {"text", m.text},
                   {"createdAt", timestamp_of(m.created_at)}};
  if (m.handled_at) {
    out["handledAt"] = timestamp_of(*m.handled_at);
    out["handledBy"] = m.handled_by;
  }
  return out;
}

}  // namespace

void ContactCenter::add_offline_handlers(broker::AppRouter& router) {
  // A waiting customer leaves a message instead (offered after routing.max-wait): it is stored,
  // the request is withdrawn, and agents see it as an offline request.
  router.add("/app/consult.leave", [this](const broker::AppMessage& message) -> broker::AppResult {
    auto body = object_of(message.body);
    auto text = body ? chat_text_field(*body, "text", kMaxMessageBytes) : std::nullopt;
    if (text) mask_personal_data(*text);
    auto contact = body ? text_field(*body, "contact", 256) : std::nullopt;
    auto request_id = body ? text_field(*body, "requestId", 128) : std::nullopt;
    if (!text || text->empty() || !contact || !request_id) {
      broker::send_domain_error(publisher_, message.sender.user_id, "bad_request",
                                "text (at most 4000 bytes, no control characters but "
                                "tab and line breaks) is required; "
                                "contact and requestId are optional",
                                message.frame);
      return broker::AppResult::refused();
    }
    return on_routing_request(
        message, "left message",
        [this, customer_id = message.sender.user_id, customer_name = message.sender.name,
         text = *text, contact = *contact, request_id = *request_id](Request& request) {
          const chat::Millis now = now_ms();
          const auto conversation =
              store_.get_or_create_conversation(customer_id, "c_" + util::random_hex(12), now);
          chat::LeftMessageRecord record;
          record.id = "l_" + util::random_hex(12);
          record.customer_id = customer_id;
          record.customer_name = customer_name;
          record.conversation_id = conversation.id;
          record.contact = contact;
          record.text = text;
          record.created_at = now;
          // The request the customer was waiting with, if still waiting, is withdrawn.
          for (const auto& waiting : routing_.waiting()) {
            if (waiting.customer_id == customer_id &&
                (request_id.empty() || waiting.request_id == request_id)) {
              record.request_id = waiting.request_id;
            }
          }
          if (!store_.add_left_message(record)) {
            return refuse(request, "conflict", "the message could not be stored");
          }
          if (!record.request_id.empty())
            apply(routing_.cancel(customer_id, record.request_id, now), &request);
          publisher_.publish("/topic/consult/offline", "application/json",
                             json::serialize(left_message_json(record)));
        });
  });

  // An agent takes a left message up, with a reply for the customer (optional): the reply is
  // stored in the customer's conversation, so they read it in the widget now or when they come
  // back, under the agent's name.
  router.add(
      "/app/agent.handleOffline", [this](const broker::AppMessage& message) -> broker::AppResult {
        auto body = object_of(message.body);
        auto id = body ? text_field(*body, "id", 128) : std::nullopt;
        auto reply = body ? chat_text_field(*body, "reply", kMaxMessageBytes) : std::nullopt;
        if (reply) mask_personal_data(*reply);
        if (!id || id->empty() || !reply) {
          broker::send_domain_error(
              publisher_, message.sender.user_id, "bad_request",
              "id is required; reply at most 4000 bytes, no control characters but tab and line "
              "breaks",
              message.frame);
          return broker::AppResult::refused();
        }
        return on_request(message, "handle left message",
                          [this, agent = message.sender.user_id, agent_name = message.sender.name,
                           id = *id, reply = *reply](Request& request) {
                            std::optional<chat::LeftMessageRecord> left;
                            for (auto& open : store_.list_left_messages(false, kOpenLeftMessages)) {
                              if (open.id == id) left = std::move(open);
                            }
                            const chat::Millis now = now_ms();
                            if (!left || !store_.handle_left_message(id, agent, now)) {
                              return refuse(request, "already_handled",
                                            "another agent took it, or it does not exist");
                            }
                            publisher_.publish(
                                "/topic/consult/updates", "application/json",
                                json::serialize(json::object{
                                    {"offlineId", id}, {"status", "handled"}, {"agentId", agent}}));
                            if (reply.empty() || left->conversation_id.empty()) return;
                            chat::MessageRecord record;
                            record.stream_id = left->conversation_id;
                            record.message_id = util::time_ordered_id("m_", now);
                            record.sender_id = agent;
                            record.sender_name = agent_name;
                            record.sender_role = chat::SenderRole::kAgent;
                            record.text = reply;
                            record.created_at = now;
                            const chat::AppendResult stored = store_.append_message(record);
                            if (!stored.stored()) return;
                            json::object event = message_json(stored.message);
                            event["conversationId"] = left->conversation_id;
                            event["leftMessageId"] = id;
                            publisher_.send_to_user(left->customer_id, "/queue/messages",
                                                    "application/json", json::serialize(event));
                          });
      });

  // The customer rates a room they had, once, 1 to 5.
  router.add("/app/room.rate", [this](const broker::AppMessage& message) -> broker::AppResult {
    auto body = object_of(message.body);
    auto room_id = body ? text_field(*body, "roomId", 128) : std::nullopt;
    auto comment = body ? text_field(*body, "comment", 1000) : std::nullopt;
    if (comment) mask_personal_data(*comment);
    const json::value* score = body ? body->if_contains("score") : nullptr;
    if (!room_id || room_id->empty() || !comment || score == nullptr || !score->is_int64()) {
      broker::send_domain_error(
          publisher_, message.sender.user_id, "bad_request",
          "roomId and a whole score from 1 to 5 are required; comment at most 1000 bytes",
          message.frame);
      return broker::AppResult::refused();
    }
    return on_request(
        message, "room rating",
        [this, customer = message.sender.user_id, room_id = *room_id, comment = *comment,
         value = score->as_int64()](Request& request) {
          if (value < 1 || value > 5) return refuse(request, "bad_request", "score must be 1 to 5");
          switch (store_.rate_room(room_id, customer, static_cast<int>(value), comment, now_ms())) {
            case chat::RatingOutcome::kStored:
              return;
            case chat::RatingOutcome::kAlreadyRated:
              return refuse(request, "already_rated", "this room was already rated");
            case chat::RatingOutcome::kInvalidScore:
              return refuse(request, "bad_request", "score must be 1 to 5");
            case chat::RatingOutcome::kUnknownRoom:
              return refuse(request, "not_found", "no room of yours has this id");
          }
        });
  });

  // The customer rates one of the bot's answers, once, 1 to 5: the bot's satisfaction beside the
  // agents' (GET /api/admin/stats, botOutcomes).
  router.add("/app/bot.rate", [this](const broker::AppMessage& message) -> broker::AppResult {
    auto body = object_of(message.body);
    auto message_id = body ? text_field(*body, "messageId", 128) : std::nullopt;
    auto comment = body ? text_field(*body, "comment", 1000) : std::nullopt;
    if (comment) mask_personal_data(*comment);
    const json::value* score = body ? body->if_contains("score") : nullptr;
    if (!message_id || message_id->empty() || !comment || score == nullptr || !score->is_int64()) {
      broker::send_domain_error(
          publisher_, message.sender.user_id, "bad_request",
          "messageId and a whole score from 1 to 5 are required; comment at most 1000 bytes",
          message.frame);
      return broker::AppResult::refused();
    }
    return on_request(
        message, "bot rating",
        [this, customer = message.sender.user_id, message_id = *message_id, comment = *comment,
         value = score->as_int64()](Request& request) {
          if (value < 1 || value > 5) return refuse(request, "bad_request", "score must be 1 to 5");
          switch (store_.rate_bot_answer(message_id, customer, static_cast<int>(value), comment,
                                         now_ms())) {
            case chat::RatingOutcome::kStored:
              return;
            case chat::RatingOutcome::kAlreadyRated:
              return refuse(request, "already_rated", "this answer was already rated");
            case chat::RatingOutcome::kInvalidScore:
              return refuse(request, "bad_request", "score must be 1 to 5");
            case chat::RatingOutcome::kUnknownRoom:
              return refuse(request, "not_found", "no bot answer of yours has this id");
          }
        });
  });
}

asio::awaitable<Answer> ContactCenter::offline_requests(Caller caller, bool include_handled) {
  if (caller.role == auth::Role::kCustomer)
    co_return error_answer(403, "forbidden", "agents and admins only");
  auto work = [this, include_handled] {
    json::array items;
    for (const auto& m : store_.list_left_messages(include_handled, 500))
      items.push_back(left_message_json(m));
    return json_answer(200, json::object{{"messages", std::move(items)}});
  };
  auto task = [work = std::move(work)]() -> asio::awaitable<Answer> { co_return work(); };
  co_return co_await asio::co_spawn(executor_, std::move(task), asio::use_awaitable);
}

asio::awaitable<Answer> ContactCenter::audit(Caller caller,
                                             std::map<std::string, std::string> query) {
  if (caller.role != auth::Role::kAdmin) co_return error_answer(403, "forbidden", "admins only");
  chat::AuditQuery filter;
  filter.request_id = query["requestId"];
  filter.agent_id = query["agentId"];
  filter.newest_first = query["order"] != "asc";
  std::int64_t number = 0;
  for (const auto& [key, target] : {std::pair<const char*, chat::Millis*>{"from", &filter.from},
                                    {"to", &filter.to},
                                    {"after", &filter.after_id}}) {
    const std::string& text = query[key];
    if (text.empty()) continue;
    if (!parse_int(text, number) || number < 0) {
      co_return error_answer(400, "bad_request", std::string(key) + " must be a whole number >= 0");
    }
    *target = number;
  }
  filter.limit = 100;
  if (const std::string& text = query["limit"]; !text.empty()) {
    if (!parse_int(text, number) || number < 1 || number > 1000) {
      co_return error_answer(400, "bad_request", "limit must be 1 to 1000");
    }
    filter.limit = static_cast<std::size_t>(number);
  }
  auto work = [this, filter] {
    json::array entries;
    std::int64_t last_id = 0;
    for (const chat::AuditEntry& entry : store_.query_audit(filter)) {
      const chat::Audit& a = entry.audit;
      json::array candidates;
      for (const auto& c : a.candidates) {
        candidates.push_back(json::object{{"agentId", c.agent_id},
                                          {"verdict", chat::to_string(c.verdict)},
                                          {"activeRooms", c.active_rooms}});
      }
      entries.push_back(json::object{{"id", entry.id},
                                     {"event", chat::to_string(a.event)},
                                     {"at", timestamp_of(a.at)},
                                     {"requestId", a.request_id},
                                     {"agentId", a.agent_id},
                                     {"fromAgentId", a.from_agent_id},
                                     {"reason", a.reason},
                                     {"candidates", std::move(candidates)}});
      last_id = entry.id;
    }
    return json_answer(200, json::object{{"entries", std::move(entries)}, {"next", last_id}});
  };
  auto task = [work = std::move(work)]() -> asio::awaitable<Answer> { co_return work(); };
  co_return co_await asio::co_spawn(executor_, std::move(task), asio::use_awaitable);
}

}  // namespace aicc::center
