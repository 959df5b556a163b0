#include "center/contact_center.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "broker/domain_error.hpp"
#include "center/service_util.hpp"
#include "center/wire_json.hpp"
#include "chat/personal_data.hpp"
#include "net/blocking_pool.hpp"
#include "util/periodic_thread.hpp"
#include "util/random.hpp"
#include "util/thread_name.hpp"

namespace aicc::center {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;

constexpr std::int64_t kDefaultHistoryLimit = 50;
constexpr std::int64_t kMaxHistoryLimit = 500;

}  // namespace

ContactCenter::ContactCenter(const config::Config& config, chat::ChatStore& store,
                             broker::Publisher& publisher, net::Metrics& metrics,
                             asio::any_io_executor executor, util::SharedState* shared)
    : config_(config),
      store_(store),
      publisher_(publisher),
      metrics_(metrics),
      executor_(std::move(executor)),
      bot_conversation_(config, store, publisher, metrics, executor_, figures_, bot_outcomes_,
                        shared),
      routing_(routing_options(config)),
      hours_(routing_options(config).hours),
      routing_timer_(executor_),
      lease_(config.bus.kind == "local" ? std::string("single-node")
                                        : "node-" + util::random_hex(8)),
      heartbeat_timer_(executor_),
      room_writer_(std::make_unique<asio::thread_pool>(1)) {
  asio::post(*room_writer_, [] { util::name_this_thread("aicc-room-store"); });
  bot_conversation_.set_hand_over(
      [this](BotConversation::HandOver request) { hand_over(std::move(request)); });
  bot_conversation_.set_summary_audience(
      [this](const std::string& request_id) { return routing_.audience(request_id); });
}

void ContactCenter::mask_personal_data(std::string& text) const {
  if (config_.privacy.mask_identifiers) chat::mask_identifiers(text);
}

ContactCenter::~ContactCenter() {
  // A batch with the writer is stored before what it uses goes; its RECEIPTs go no more (the
  // executor has stopped), and a client's retry finds it stored.
  if (room_writer_) room_writer_->join();
  stop();
}

void ContactCenter::add_handlers(broker::AppRouter& router) {
  router_ = &router;  // forwarded routing commands run through the same handlers
  add_routing_handlers(router);
  add_offline_handlers(router);
  add_note_handlers(router);
  add_context_handlers(router);
  // What the service publishes, and to whom. A room only to its participants.
  router.add_subscription("/topic/room/",
                          [this](const std::string& user_id, std::string_view destination) {
                            return authorize_room(user_id, destination);
                          });
  router.add_subscription("/topic/consult/request");
  router.add_subscription("/topic/consult/updates");
  router.add_subscription("/topic/consult/offline");
  router.add_subscription("/topic/consult/summary");
  router.add_subscription("/user/queue/agent/assignment");
  router.add_subscription("/user/queue/agent/suggestions");
  // A supervisor put the agent in or out of the queue (contact_center_supervisor.cpp).
  router.add_subscription("/user/queue/agent/status");
  router.add_subscription("/user/queue/bot/response");
  router.add_subscription("/user/queue/consult/status");
  // Agents' replies to the messages a customer left, stored in their conversation.
  router.add_subscription("/user/queue/messages");
  router.add("/app/bot.message", [this](const broker::AppMessage& message) -> broker::AppResult {
    auto body = parse_bot_message(message.body);
    if (!body) {
      broker::send_domain_error(publisher_, message.sender.user_id, "bad_request", body.error(),
                                message.frame);
      return broker::AppResult::refused();
    }
    Caller caller{message.sender.user_id, auth::Role::kCustomer, message.sender.name};
    return on_request(
        message, "bot message",
        [this, caller = std::move(caller),
         body = std::move(body.value())](Request& request) mutable {
          // An agent took the chat while the page had not heard yet: what the
          // customer wrote goes to that room, for the agent, not to the bot
          // (silent now), where the agent would not see it.
          if (auto room_id = room_with_agent_of(caller.user_id)) {
            mask_personal_data(body.message);
            if (body.client_message_id.empty()) body.client_message_id = util::random_hex(16);
            divert_to_room(request, RoomSend{.request = {},
                                             .caller = caller,
                                             .room_id = std::move(*room_id),
                                             .text = std::move(body.message),
                                             .client_message_id = std::move(body.client_message_id),
                                             .attachment_ids = {}});
            return;
          }
          auto accepted = bot_conversation_.customer_message(caller, std::move(body.message),
                                                             std::move(body.client_message_id),
                                                             std::move(body.lang), body.stream);
          if (!accepted) refuse(request, "bad_request", accepted.error());
        });
  });
}

asio::awaitable<Answer> ContactCenter::post_bot_message(Caller caller, std::string body) {
  if (caller.role != auth::Role::kCustomer)
    co_return error_answer(403, "forbidden", "only customers talk to the bot");
  auto parsed = parse_bot_message(body);
  if (!parsed) co_return error_answer(400, "bad_request", parsed.error());
  auto work = [this, caller = std::move(caller), parsed = std::move(parsed.value())]() mutable {
    // The agent would not see it in the bot conversation (see /app/bot.message).
    if (auto room_id = room_with_agent_of(caller.user_id)) {
      return error_answer(
          409, "in_room",
          "an agent has this chat now: send to room " + *room_id + " (/app/room.send) instead");
    }
    auto accepted = bot_conversation_.customer_message(caller, std::move(parsed.message),
                                                       std::move(parsed.client_message_id),
                                                       std::move(parsed.lang), parsed.stream);
    if (!accepted) return error_answer(400, "bad_request", accepted.error());
    return json_answer(202, json::object{{"messageId", accepted->message_id},
                                         {"conversationId", accepted->conversation_id},
                                         {"duplicate", accepted->duplicate}});
  };
  co_return co_await on_service(std::move(work));
}

asio::awaitable<Answer> ContactCenter::bot_webhook(std::string timestamp, std::string signature,
                                                   std::string body) {
  // The checks may wait on Redis (several nodes): on the blocking pool then, never on the
  // service's executor, which renews the routing lease.
  const bool blocks = blocking_ != nullptr && bot_conversation_.webhook_checks_block();
  auto check = [this, &timestamp, &signature, &body] {
    return bot_conversation_.check_webhook(timestamp, signature, body);
  };
  // Not a conditional expression around co_await: GCC 12 destroys its temporaries twice.
  std::optional<Answer> refusal;
  if (blocks) {
    refusal = co_await blocking_->run(std::move(check));
  } else {
    refusal = check();
  }
  if (refusal) co_return std::move(*refusal);
  auto work = [this, &body] { return bot_conversation_.webhook(body); };
  Answer answer = co_await on_service(std::move(work));
  // Not processed (the store failed; a part to send again shortly, or too many streams): the
  // bot's retry of this very call must not be a replay.
  if (answer.status == 503 || answer.status == 409 || answer.status == 429) {
    auto forget = [this, &timestamp, &signature, &body] {
      bot_conversation_.forget_webhook(timestamp, signature, body);
    };
    if (blocks) {
      co_await blocking_->run(std::move(forget));
    } else {
      forget();
    }
  }
  co_return answer;
}

asio::awaitable<Answer> ContactCenter::history(Caller caller, std::string stream_id,
                                               std::string after, std::string limit) {
  auto work = [this, caller = std::move(caller), stream_id = std::move(stream_id),
               after = std::move(after),
               limit = std::move(limit)] { return history_now(caller, stream_id, after, limit); };
  co_return co_await on_service(std::move(work));
}

Answer ContactCenter::history_now(const Caller& caller, const std::string& stream_id,
                                  std::string_view after_text, std::string_view limit_text) {
  std::int64_t after = 0;
  std::int64_t limit = kDefaultHistoryLimit;
  if (!after_text.empty() && (!parse_int(after_text, after) || after < 0)) {
    return error_answer(400, "bad_request", "after must be a whole number >= 0");
  }
  if (!limit_text.empty() &&
      (!parse_int(limit_text, limit) || limit < 1 || limit > kMaxHistoryLimit)) {
    return error_answer(400, "bad_request", "limit must be a whole number from 1 to 500");
  }
  const auto stream = store_.find_stream(stream_id);
  if (!stream) return error_answer(404, "not_found", "no such conversation");
  const bool participant =
      caller.user_id == stream->customer_id || caller.user_id == stream->agent_id;
  if (!participant && caller.role == auth::Role::kCustomer) {
    return error_answer(403, "forbidden", "not a participant of this conversation");
  }
  // A room is read by the agents who had it or serve its customer now (and admins); the bot part
  // stays open to agents, who read it to triage waiting requests.
  if (!participant && stream->kind == chat::StreamKind::kRoom &&
      caller.role == auth::Role::kAgent) {
    const auto room = store_.find_room(stream_id);
    if (!room || !may_read_room(caller, *room))
      return error_answer(404, "not_found", "no such conversation");
  }
  json::array messages;
  std::int64_t next_after = after;
  for (const auto& message : store_.read_messages(stream_id, after, limit)) {
    messages.push_back(message_json(message));
    next_after = message.seq;
  }
  return json_answer(200,
                     json::object{{"messages", std::move(messages)}, {"nextAfter", next_after}});
}

}  // namespace aicc::center
