// Consult requests, agents and 1:1 rooms (see contact_center.hpp).
#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <exception>

#include "broker/domain_error.hpp"
#include "center/contact_center.hpp"
#include "center/routing_log.hpp"
#include "center/service_util.hpp"
#include "center/wire_json.hpp"
#include "net/bus.hpp"
#include "util/periodic_thread.hpp"
#include "util/random.hpp"
#include "util/time.hpp"
#include "util/utf8.hpp"

namespace aicc::center {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;

constexpr std::size_t kMaxIdBytes = 128;
constexpr std::size_t kHistoryInAssignment = 100;  // last bot-conversation messages an agent gets
constexpr std::size_t kNotesInAssignment = 200;    // a room's private notes an agent gets

// The note a transfer leaves, when `effects` hand `room_id` from `agent_id` to another agent or
// back to the queue (the caller fills in its id, name, text and time); nullopt when they refuse.
std::optional<chat::NoteRecord> transfer_note_of(const chat::Effects& effects,
                                                 const std::string& room_id,
                                                 const std::string& agent_id) {
  for (const chat::Effect& effect : effects) {
    if (const auto* assigned = std::get_if<chat::Assigned>(&effect);
        assigned != nullptr && assigned->room_id == room_id &&
        assigned->previous_agent_id == agent_id) {
      return chat::NoteRecord{.room_id = room_id,
                              .kind = chat::NoteKind::kTransfer,
                              .author_id = agent_id,
                              .to_agent_id = assigned->agent.id,
                              .to_agent_name = assigned->agent.display_name};
    }
    if (const auto* requeued = std::get_if<chat::Requeued>(&effect);
        requeued != nullptr && requeued->room_id == room_id &&
        requeued->previous_agent_id == agent_id) {
      return chat::NoteRecord{
          .room_id = room_id, .kind = chat::NoteKind::kTransfer, .author_id = agent_id};
    }
  }
  return std::nullopt;
}

}  // namespace

namespace {

// How often the authority's lease is renewed (and claimed by the others), on a thread of its own:
// a node that dies without a word is replaced within AuthorityLease::kLease + kAuthorityInterval.
// Also the beat of agent presence, on the service executor.
constexpr auto kAuthorityInterval = std::chrono::seconds(1);
// The service executor runs a beat every kAuthorityInterval; silent this long, it is stuck.
constexpr chat::Millis kExecutorStuckMs = 10'000;

}  // namespace

void ContactCenter::start() {
  rooms_.members().replace(RoomDirectory::from_store(store_.open_rooms()));
  renew_authority(/*take_here=*/true);  // nothing else runs yet: a grant is taken at once
  if (!lease_.held()) {
    spdlog::info("contact center: {} open rooms; routing is decided by another node for now",
                 rooms_.members().size());
  }
  executor_beat_ = now_ms();
  lease_keeper_ = std::make_unique<util::PeriodicThread>(
      kAuthorityInterval,
      [this] {
        try {
          renew_authority(/*take_here=*/false);
        } catch (const std::exception& e) {
          spdlog::error("contact center: renewing the routing authority: {}", e.what());
        }
      },
      kAuthorityInterval);
  arm_heartbeat_timer();
}

void ContactCenter::renew_authority(bool take_here) {
  const chat::Millis now = now_ms();
  // Renewed however busy the executor is, but not for one that is stuck (a store call that
  // hangs, or a backlog of many seconds): its node could not decide in time, so with several
  // nodes the lease is left to run out for another one.
  const chat::Millis silent_for = now - executor_beat_.load();
  if (!take_here && bus_ != nullptr && silent_for > kExecutorStuckMs) {
    if (!executor_stuck_.exchange(true)) {
      spdlog::error(
          "contact center: its thread has not run for {} ms; the routing authority is not "
          "renewed until it does",
          silent_for);
      metrics_.error("contact_center_stuck");
    }
    return;
  }
  if (executor_stuck_.exchange(false)) {
    spdlog::info("contact center: its thread runs again; the routing authority is claimed again");
  }
  const AuthorityLease::Step step = lease_.claim(store_, now);
  switch (step.kind) {
    case AuthorityLease::Step::Kind::kFailed:
      spdlog::warn("contact center: claiming the routing authority failed: {}", step.error);
      metrics_.error("store_unavailable");
      // Not renewed: once the lease runs out another node may hold it, so this one stops
      // deciding then, whatever happens to its writes (unless a renewal came meanwhile).
      if (lease_.ran_out(now)) {
        asio::post(executor_, [this] {
          if (lease_.ran_out(now_ms())) step_down("its lease ran out without a renewal");
        });
      }
      return;
    case AuthorityLease::Step::Kind::kRefused:
      lease_.withdraw_offer();
      if (lease_.held()) {
        asio::post(executor_, [this, epoch = lease_.epoch()] {
          if (lease_.epoch() == epoch) step_down("another node holds the routing authority");
        });
      }
      return;
    case AuthorityLease::Step::Kind::kRenewed:
      return;
    case AuthorityLease::Step::Kind::kGranted:
      break;
  }
  if (!lease_.offer(step.grant)) return;  // on its way to the executor already
  if (take_here) {
    take_authority(step.grant);
  } else {
    asio::post(executor_, [this, grant = step.grant] { take_authority(grant); });
  }
}

void ContactCenter::take_authority(const chat::AuthorityGrant& grant) {
  if (lease_.epoch() == grant.epoch) return;  // taken already (offered twice across a drop)
  // Newly granted (at start, or taking over from a node that stopped renewing): the routing state
  // is rebuilt from what the store holds, deadlines that fell due meanwhile included. Read first:
  // a failed read leaves this node without the authority, offered again at the next claim.
  RoomDirectory::Rooms rooms;
  std::vector<chat::RequestRecord> records;
  std::vector<chat::AgentRecord> agents;
  std::map<std::string, int, std::less<>> room_limits;
  try {
    rooms = RoomDirectory::from_store(store_.open_rooms());
    records = store_.load_requests();
    agents = store_.load_agents();
    if (room_limits_source_) {
      for (auto& [agent_id, limit] : room_limits_source_()) room_limits[agent_id] = limit;
    }
  } catch (const std::exception& e) {
    spdlog::warn("contact center: reading the routing state failed: {}", e.what());
    metrics_.error("store_unavailable");
    lease_.withdraw_offer();
    return;
  }
  const bool held_before = lease_.held();
  if (!lease_.take(grant, now_ms())) {
    spdlog::warn("contact center: the routing authority (epoch {}) was lost before it was taken",
                 grant.epoch);
    return;
  }
  const bool takeover = held_before || grant.epoch > 1;
  if (!held_before && bus_) bus_->listen(std::string(net::kRoutingChannel));
  routing_ = chat::Routing(routing_options(config_));
  routing_.replace_room_limits(std::move(room_limits));
  presence_.engine_replaced();
  customers_.clear();  // nobody's absence is known to the new engine
  rooms_.members().replace(std::move(rooms));
  spdlog::info(
      "contact center: routing authority {} (epoch {}); {} open requests, {} open rooms and {} "
      "agents restored",
      takeover ? "taken" : "held", lease_.epoch(), records.size(), rooms_.members().size(),
      agents.size());
  apply(routing_.restore(std::move(records), now_ms(), std::move(agents)));
  update_presence();
}

void ContactCenter::stop() {
  if (lease_keeper_) lease_keeper_->stop();
  // Held, or granted and not taken yet (the executor stopped first): the store has this node as
  // the holder either way.
  const std::int64_t epoch = lease_.held() ? lease_.epoch() : lease_.offered();
  if (lease_.held() && bus_) bus_->unlisten(std::string(net::kRoutingChannel));
  lease_.drop();
  lease_.withdraw_offer();
  if (epoch == 0) return;
  try {
    if (store_.release_routing_authority(lease_.node_id(), epoch)) {
      spdlog::info("contact center: routing authority released (epoch {})", epoch);
    } else {
      spdlog::info("contact center: routing authority (epoch {}) already held by another node",
                   epoch);
    }
  } catch (const std::exception& e) {
    spdlog::warn(
        "contact center: releasing the routing authority failed ({}); another node takes it "
        "once its lease ran out",
        e.what());
  }
}

void ContactCenter::step_down(std::string_view why) {
  spdlog::error("contact center: routing authority lost (epoch {}): {}; this node stops deciding",
                lease_.epoch(), why);
  metrics_.error("routing_authority_lost");
  lease_.drop();
  if (bus_) bus_->unlisten(std::string(net::kRoutingChannel));
  routing_ = chat::Routing(routing_options(config_));
  routing_timer_.cancel();
  presence_.stop_deciding();
}

void ContactCenter::arm_heartbeat_timer() {
  heartbeat_timer_.expires_after(kAuthorityInterval);
  heartbeat_timer_.async_wait([this](boost::system::error_code error) {
    if (error) return;
    executor_beat_ = now_ms();
    try {
      heartbeat_presence();
      sweep_customers();
      close_idle_rooms();
    } catch (const std::exception& e) {
      spdlog::warn("contact center: presence: {}", e.what());
    }
    arm_heartbeat_timer();
  });
}

std::string ContactCenter::authorize_room(const std::string& user_id,
                                          std::string_view destination) const {
  const auto room_id = room_of(destination);
  if (!room_id) return {};
  return rooms_.members().refusal(*room_id, user_id);
}

bool ContactCenter::room_position(std::string_view destination,
                                  std::function<void(std::optional<std::uint64_t>)> done) {
  auto room_id = room_of(destination);
  if (!room_id) return false;
  asio::post(executor_, [this, room_id = std::move(*room_id), done = std::move(done)] {
    std::optional<std::uint64_t> last;
    try {
      last = rooms_.position(room_id);
    } catch (const std::exception& e) {
      spdlog::warn("contact center: reading the position of room {} failed: {}", room_id, e.what());
    }
    done(last);
  });
  return true;
}

bool ContactCenter::replay_room(std::string_view destination, std::uint64_t after_seq,
                                std::size_t max_count, ReplayDone done) {
  auto room_id = room_of(destination);
  if (!room_id) return false;
  asio::post(executor_,
             [this, room_id = std::move(*room_id), destination = std::string(destination),
              after_seq, max_count, done = std::move(done)] {
               std::vector<std::shared_ptr<const stomp::Message>> page;
               try {
                 page = rooms_.read_page(room_id, destination, after_seq, max_count);
               } catch (const std::exception& error) {
                 // The subscriber is told the replay failed and resumes with since-seq once it
                 // reconnects.
                 spdlog::error("room replay: reading room={} after seq {} failed: {}", room_id,
                               after_seq, error.what());
                 done({}, false);
                 return;
               }
               done(std::move(page), true);
             });
  return true;
}

void ContactCenter::agent_presence(const std::string& agent_id, bool connected) {
  asio::post(executor_, [this, agent_id, connected] {
    presence_.set_local(agent_id, connected);
    try {
      if (lease_.held()) {
        update_presence();
      } else {
        heartbeat_presence();  // the authority hears of it now, not at the next beat
      }
    } catch (const std::exception& e) {
      metrics_.error("store_unavailable");  // logged per effect by apply()
    }
  });
}

void ContactCenter::add_routing_handlers(broker::AppRouter& router) {
  // Every handler checks the body's shape on the I/O thread, then hands the work to the service.
  auto bad_request = [this](const broker::AppMessage& message, std::string_view why) {
    broker::send_domain_error(publisher_, message.sender.user_id, "bad_request", why,
                              message.frame);
    return broker::AppResult::refused();
  };

  router.add("/app/consult.request",
             [this, bad_request](const broker::AppMessage& message) -> broker::AppResult {
               auto body = object_of(message.body);
               if (!body) return bad_request(message, "body must be a JSON object");
               auto category = text_field(*body, "category", 128);
               auto reason = text_field(*body, "reason", kMaxMessageBytes);
               if (!category || !reason)
                 return bad_request(message, "category and reason must be short strings");
               mask_personal_data(*reason);
               chat::CustomerRef customer{message.sender.user_id, message.sender.name};
               return on_routing_request(
                   message, "consult request",
                   [this, customer, category = *category, reason = *reason](Request& request) {
                     chat::RequestDetails details{category, reason, {}};
                     // The agent sees the last thing the bot said, so the customer need not repeat
                     // themselves.
                     if (auto conversation = store_.conversation_of_customer(customer.id)) {
                       const auto last = store_.last_seq(conversation->id);
                       for (const auto& m : store_.read_messages(
                                conversation->id, std::max<std::int64_t>(0, last - 10), 10)) {
                         if (m.sender_role == chat::SenderRole::kBot)
                           details.last_bot_message = m.text;
                       }
                     }
                     const bool open_before = routing_.customer_status(customer.id).has_value();
                     apply(routing_.request(customer, details, now_ms()), &request);
                     if (!open_before && routing_.customer_status(customer.id)) {
                       const auto conversation = store_.conversation_of_customer(customer.id);
                       bot_outcomes_.handed_over(conversation ? conversation->id : std::string(),
                                                 bot_conversation_.handover_reason(customer.id),
                                                 now_ms());
                     }
                   });
             });

  router.add("/app/consult.cancel",
             [this, bad_request](const broker::AppMessage& message) -> broker::AppResult {
               auto body = object_of(message.body);
               auto request_id = body ? text_field(*body, "requestId", kMaxIdBytes) : std::nullopt;
               if (!request_id || request_id->empty())
                 return bad_request(message, "requestId is required");
               return on_routing_request(
                   message, "consult cancel",
                   [this, customer = message.sender.user_id, request_id = *request_id](
                       Request& request) { withdraw_request(customer, request_id, &request); });
             });

  router.add(
      "/app/agent.login",
      [this, bad_request](const broker::AppMessage& message) -> broker::AppResult {
        // `{}` (or no body) logs in available; `{"status":"away"}` logs in away in the same step,
        // so a console that was away before a reconnect is never auto-assigned a request in
        // between.
        auto body = object_of(message.body);
        if (!body) return bad_request(message, "body must be a JSON object");
        std::optional<chat::AgentStatus> status = chat::AgentStatus::kAvailable;
        if (const json::value* given = body->if_contains("status");
            given != nullptr && !given->is_null()) {
          status = given->is_string() ? chat::parse_agent_status(given->as_string()) : std::nullopt;
        }
        if (!status)
          return bad_request(message, "status, when given, must be \"available\" or \"away\"");
        return on_routing_request(
            message, "agent login",
            [this, agent = chat::AgentRef{message.sender.user_id, message.sender.name},
             status = *status](Request& request) {
              apply(routing_.agent_login(agent, now_ms(), status), &request);
            });
      });
  router.add("/app/agent.logout", [this](const broker::AppMessage& message) -> broker::AppResult {
    return on_routing_request(message, "agent logout",
                              [this, agent = message.sender.user_id](Request& request) {
                                apply(routing_.agent_logout(agent, now_ms()), &request);
                              });
  });
  router.add("/app/agent.status",
             [this, bad_request](const broker::AppMessage& message) -> broker::AppResult {
               auto body = object_of(message.body);
               auto text = body ? text_field(*body, "status", 32) : std::nullopt;
               const auto status = text ? chat::parse_agent_status(*text) : std::nullopt;
               if (!status) return bad_request(message, "status must be \"available\" or \"away\"");
               return on_routing_request(
                   message, "agent status",
                   [this, agent = message.sender.user_id, status = *status](Request& request) {
                     apply(routing_.agent_status(agent, status, now_ms()), &request);
                   });
             });
  for (const char* destination : {"/app/agent.accept", "/app/agent.reject"}) {
    const bool accept = std::string_view(destination) == "/app/agent.accept";
    router.add(destination,
               [this, bad_request, accept](const broker::AppMessage& message) -> broker::AppResult {
                 auto body = object_of(message.body);
                 auto request_id =
                     body ? text_field(*body, "requestId", kMaxIdBytes) : std::nullopt;
                 if (!request_id || request_id->empty())
                   return bad_request(message, "requestId is required");
                 return on_routing_request(message, accept ? "agent accept" : "agent reject",
                                           [this, accept, agent = message.sender.user_id,
                                            request_id = *request_id](Request& request) {
                                             const chat::Millis now = now_ms();
                                             apply(accept ? routing_.accept(agent, request_id, now)
                                                          : routing_.reject(agent, request_id, now),
                                                   &request);
                                           });
               });
  }

  router.add("/app/room.send",
             [this, bad_request](const broker::AppMessage& message) -> broker::AppResult {
               auto body = object_of(message.body);
               if (!body) return bad_request(message, "body must be a JSON object");
               auto room_id = text_field(*body, "roomId", kMaxIdBytes);
               auto text = chat_text_field(*body, "text", kMaxMessageBytes);
               if (text) mask_personal_data(*text);
               auto client_message_id = text_field(*body, "clientMessageId", kMaxIdBytes);
               auto attachment_ids = id_list(*body, "attachments", chat::kMaxAttachmentsPerMessage);
               if (!room_id || room_id->empty() || !text || !client_message_id || !attachment_ids ||
                   (text->empty() && attachment_ids->empty())) {
                 return bad_request(
                     message,
                     "roomId and text (at most 4000 bytes, no control characters but tab and "
                     "line breaks) or attachments (at most 5 ids) are required; clientMessageId "
                     "at most 128");
               }
               Caller caller{message.sender.user_id,
                             auth::parse_role(message.sender.role).value_or(auth::Role::kCustomer),
                             message.sender.name};
               return queue_room_send(message,
                                      RoomSend{.request = {},
                                               .caller = std::move(caller),
                                               .room_id = std::move(*room_id),
                                               .text = std::move(*text),
                                               .client_message_id = std::move(*client_message_id),
                                               .attachment_ids = std::move(*attachment_ids)});
             });

  router.add("/app/room.typing",
             [this, bad_request](const broker::AppMessage& message) -> broker::AppResult {
               auto body = object_of(message.body);
               auto room_id = body ? text_field(*body, "roomId", kMaxIdBytes) : std::nullopt;
               if (!room_id || room_id->empty()) return bad_request(message, "roomId is required");
               if (!rooms_.members().refusal(*room_id, message.sender.user_id).empty()) {
                 return bad_request(message, "not a participant of an open room with this id");
               }
               const json::value* typing = body->if_contains("typing");
               rooms_.publish_event(
                   *room_id, json::object{{"type", "typing"},
                                          {"roomId", *room_id},
                                          {"userId", message.sender.user_id},
                                          {"typing", typing != nullptr && typing->is_bool() &&
                                                         typing->as_bool()}});
               return broker::AppResult::done();
             });

  router.add("/app/room.read",
             [this, bad_request](const broker::AppMessage& message) -> broker::AppResult {
               auto body = object_of(message.body);
               auto room_id = body ? text_field(*body, "roomId", kMaxIdBytes) : std::nullopt;
               const json::value* seq = body ? body->if_contains("seq") : nullptr;
               if (!room_id || room_id->empty() || seq == nullptr || !seq->is_int64() ||
                   seq->as_int64() < 0) {
                 return bad_request(message, "roomId and a whole seq >= 0 are required");
               }
               if (!rooms_.members().refusal(*room_id, message.sender.user_id).empty()) {
                 return bad_request(message, "not a participant of an open room with this id");
               }
               rooms_.publish_event(*room_id, json::object{{"type", "read"},
                                                           {"roomId", *room_id},
                                                           {"userId", message.sender.user_id},
                                                           {"seq", seq->as_int64()}});
               return broker::AppResult::done();
             });

  router.add("/app/room.close",
             [this, bad_request](const broker::AppMessage& message) -> broker::AppResult {
               auto body = object_of(message.body);
               auto room_id = body ? text_field(*body, "roomId", kMaxIdBytes) : std::nullopt;
               if (!room_id || room_id->empty()) return bad_request(message, "roomId is required");
               return on_routing_request(
                   message, "room close",
                   [this, user = message.sender.user_id, room_id = *room_id](Request& request) {
                     if (std::string refusal = rooms_.members().refusal(room_id, user);
                         !refusal.empty()) {
                       return refuse(request, "not_participant", refusal);
                     }
                     const chat::Millis now = now_ms();
                     apply(routing_.room_closed(room_id, user, now), &request);
                     if (request.refused) return;  // nothing was decided: the room stays
                     end_room(room_id, user, now);
                   });
             });

  router.add("/app/room.transfer",
             [this, bad_request](const broker::AppMessage& message) -> broker::AppResult {
               auto body = object_of(message.body);
               auto room_id = body ? text_field(*body, "roomId", kMaxIdBytes) : std::nullopt;
               auto to_agent = body ? text_field(*body, "toAgentId", kMaxIdBytes) : std::nullopt;
               auto note = body ? text_field(*body, "note", kMaxMessageBytes) : std::nullopt;
               if (note) mask_personal_data(*note);
               if (!room_id || room_id->empty() || !to_agent || !note)
                 return bad_request(
                     message,
                     "roomId is required; toAgentId and note (at most 4000 bytes) optional");
               return on_routing_request(
                   message, "room transfer",
                   [this, agent = message.sender.user_id, agent_name = message.sender.name,
                    room_id = *room_id, to_agent = *to_agent, note = *note](Request& request) {
                     const chat::Millis now = now_ms();
                     std::optional<std::string_view> target;
                     if (!to_agent.empty()) target = to_agent;
                     chat::Effects effects = routing_.transfer(room_id, agent, target, now);
                     request.transfer_note = transfer_note_of(effects, room_id, agent);
                     if (request.transfer_note) {
                       request.transfer_note->id = "n_" + util::random_hex(12);
                       request.transfer_note->author_name = agent_name;
                       request.transfer_note->text = note;
                       request.transfer_note->created_at = now;
                     }
                     apply(std::move(effects), &request);
                     // After the transfer's own writes: the note never stands for a transfer not
                     // made.
                     if (request.transfer_note && !request.refused)
                       store_.add_note(*request.transfer_note);
                   });
             });
}

void ContactCenter::apply(chat::Effects effects, Request* request) {
  // A transfer, a requeue or a close is announced after the messages stored before it.
  settle_room_writer();
  const chat::Millis now = now_ms();
  // The routing engine has decided: its writes go to the store as one transaction under this
  // node's epoch, then every announcement is made, even when the writes failed, so that the
  // engine's state (which the announcements describe) and the clients agree and the timer is
  // re-armed. The first failure is rethrown at the end for the caller's barrier to answer. A
  // decision refused by the fence is not announced: another node decides now.
  std::exception_ptr first_failure;
  if (lease_.ran_out(now)) step_down("its lease ran out without a renewal");
  if (!lease_.held()) {
    // Not the authority (it was lost while this was queued): nothing is decided here.
    if (request != nullptr) {
      refuse(*request, "routing_unavailable",
             "consult routing moved to another node; try again shortly");
    }
    return;
  }
  try {
    write_decision(effects, now);
  } catch (const std::exception& e) {
    spdlog::error("routing decision not stored: {}", e.what());
    first_failure = std::current_exception();
    // With several nodes, a decision that is not in the store is not announced either: another
    // node may decide otherwise once it takes over. This node lets the engine go (it holds the
    // decision) and rebuilds it from the store when it claims again, at the next tick. (One node
    // announces it: its engine, which the announcements describe, goes on from it.)
    if (bus_) {
      step_down("a decision could not be stored");
      std::rethrow_exception(first_failure);
    }
  }
  if (!lease_.held()) {
    if (request != nullptr) {
      refuse(*request, "routing_unavailable",
             "consult routing moved to another node; try again shortly");
    }
    return;
  }
  log_routing_decision(effects);
  for (chat::Effect& effect : effects) {
    try {
      apply_one(effect, now, request);
    } catch (const std::exception& e) {
      spdlog::error("routing effect {} failed: {}", effect.index(), e.what());
      if (!first_failure) first_failure = std::current_exception();
    }
  }
  figures_.queue_length(routing_.waiting_count(), now);
  arm_routing_timer();
  if (first_failure) std::rethrow_exception(first_failure);
}

void ContactCenter::write_decision(const chat::Effects& effects, chat::Millis now) {
  std::vector<chat::RoutingWrite> writes;
  for (const chat::Effect& effect : effects) {
    if (const auto* upsert = std::get_if<chat::StoreUpsert>(&effect)) {
      writes.emplace_back(*upsert);
    } else if (const auto* erase = std::get_if<chat::StoreErase>(&effect)) {
      writes.emplace_back(*erase);
    } else if (const auto* agent = std::get_if<chat::StoreAgent>(&effect)) {
      writes.emplace_back(*agent);
    } else if (const auto* audit = std::get_if<chat::Audit>(&effect)) {
      writes.emplace_back(*audit);
    } else if (const auto* assigned = std::get_if<chat::Assigned>(&effect)) {
      // The conversation exists before the decision (idempotent per customer).
      const auto conversation = store_.get_or_create_conversation(assigned->customer.id,
                                                                  "c_" + util::random_hex(12), now);
      writes.emplace_back(chat::RoomAssignment{chat::RoomRecord{assigned->room_id,
                                                                conversation.id,
                                                                assigned->request_id,
                                                                assigned->customer.id,
                                                                assigned->agent.id,
                                                                now,
                                                                std::nullopt,
                                                                {},
                                                                assigned->details.category,
                                                                assigned->customer.display_name}});
    } else if (const auto* requeued = std::get_if<chat::Requeued>(&effect)) {
      writes.emplace_back(chat::RoomUnassignment{requeued->room_id});
    }
  }
  if (writes.empty()) return;
  if (!store_.apply_routing_writes(lease_.epoch(), writes)) {
    step_down("its decision was refused: another node claimed the authority");
  }
}

void ContactCenter::apply_one(chat::Effect& effect, chat::Millis now, Request* request) {
  {
    std::visit(
        [&](auto& e) {
          using E = std::decay_t<decltype(e)>;
          if constexpr (std::is_same_v<E, chat::StoreUpsert> ||
                        std::is_same_v<E, chat::StoreErase> ||
                        std::is_same_v<E, chat::StoreAgent> || std::is_same_v<E, chat::Audit>) {
            // Written by write_decision(), before any announcement.
          } else if constexpr (std::is_same_v<E, chat::CustomerStatus>) {
            json::object body = consult_status_json(e);
            add_expected_wait(body, e, figures_, now);
            publisher_.send_to_user(e.customer_id, "/queue/consult/status", "application/json",
                                    json::serialize(body));
          } else if constexpr (std::is_same_v<E, chat::OfferRequest>) {
            json::object body{{"requestId", e.request_id},
                              {"customerId", e.customer.id},
                              {"customerName", e.customer.display_name},
                              {"category", e.details.category},
                              {"reason", e.details.reason},
                              {"lastBotMessage", e.details.last_bot_message},
                              {"waitingSince", timestamp_of(e.waiting_since)}};
            if (!e.reason.empty()) body["requeueReason"] = e.reason;
            // So a console can read the bot conversation (GET /api/conversations/{id}/messages).
            const auto conversation = store_.conversation_of_customer(e.customer.id);
            body["conversationId"] =
                conversation ? json::value(conversation->id) : json::value(nullptr);
            // The bot's handoff summary: asked for a new request (it follows on
            // /topic/consult/summary), carried by offers made once it came.
            std::optional<json::object> summary;
            if (conversation)
              summary = bot_conversation_.handoff_summary(conversation->id, e.request_id);
            body["summary"] = summary ? json::value(std::move(*summary)) : json::value(nullptr);
            // Only to the agents it names: a login's redelivery must not re-offer every waiting
            // request to every console.
            publisher_.publish_to_users("/topic/consult/request", e.recipients, "application/json",
                                        json::serialize(body));
            // Asked once the offer is out, so that the summary follows it.
            if (!summary) bot_conversation_.summarize_handoff(e.request_id, e.customer.id);
          } else if constexpr (std::is_same_v<E, chat::RequestUpdate>) {
            json::object body{{"requestId", e.request_id}, {"status", chat::to_string(e.status)}};
            if (!e.agent_id.empty()) body["agentId"] = e.agent_id;
            publisher_.publish("/topic/consult/updates", "application/json", json::serialize(body));
          } else if constexpr (std::is_same_v<E, chat::Assigned>) {
            // The room was created or given its agent by write_decision().
            if (e.previous_agent_id.empty()) figures_.assigned(now);  // the pace of the queue
            const auto conversation =
                store_.get_or_create_conversation(e.customer.id, "c_" + util::random_hex(12), now);
            set_room_members(e.room_id, RoomMembers{e.customer.id, e.agent.id});
            // The agent gets the bot conversation and what was said in the room so far.
            json::array history;
            const auto last = store_.last_seq(conversation.id);
            for (const auto& m : store_.read_messages(
                     conversation.id,
                     std::max<std::int64_t>(0,
                                            last - static_cast<std::int64_t>(kHistoryInAssignment)),
                     kHistoryInAssignment)) {
              history.push_back(message_event(m));
            }
            for (const auto& m : store_.read_messages(e.room_id, 0, 1000))
              history.push_back(message_event(m));
            json::object body{
                {"requestId", e.request_id},
                {"roomId", e.room_id},
                {"conversationId", conversation.id},
                {"mode", chat::to_string(e.mode)},
                {"customer", {{"id", e.customer.id}, {"displayName", e.customer.display_name}}},
                {"category", e.details.category},
                {"reason", e.details.reason},
                {"requestedAt", timestamp_of(e.requested_at)},
                {"history", std::move(history)}};
            auto summary = bot_conversation_.handoff_summary(conversation.id, e.request_id);
            body["summary"] = summary ? json::value(std::move(*summary)) : json::value(nullptr);
            // Assigned without an offer first (routing.mode auto): asked now, it follows on
            // /topic/consult/summary (asked once per request either way).
            if (!summary) bot_conversation_.summarize_handoff(e.request_id, e.customer.id);
            if (!e.previous_agent_id.empty()) body["previousAgentId"] = e.previous_agent_id;
            if (!e.reason.empty()) body["assignReason"] = e.reason;
            // The room's private notes; a transfer being applied now brings its own (stored
            // once the transfer is), and says who handed the room over and why.
            json::array notes;
            for (const auto& note : store_.room_notes(e.room_id, kNotesInAssignment))
              notes.push_back(note_json(note));
            const chat::NoteRecord* handed = request != nullptr && request->transfer_note &&
                                                     request->transfer_note->room_id == e.room_id
                                                 ? &*request->transfer_note
                                                 : nullptr;
            if (handed != nullptr) {
              notes.push_back(note_json(*handed));
              body["transfer"] = json::object{{"fromAgentId", handed->author_id},
                                              {"fromAgentName", handed->author_name},
                                              {"note", handed->text}};
            }
            body["notes"] = std::move(notes);
            publisher_.send_to_user(e.agent.id, "/queue/agent/assignment", "application/json",
                                    json::serialize(body));
            if (!e.previous_agent_id.empty()) {
              rooms_.publish_event(e.room_id, json::object{{"type", "transferred"},
                                                           {"roomId", e.room_id},
                                                           {"fromAgentId", e.previous_agent_id},
                                                           {"toAgentId", e.agent.id},
                                                           {"toAgentName", e.agent.display_name},
                                                           {"reason", e.reason}});
            }
            rooms_.publish_event(e.room_id, json::object{{"type", "joined"},
                                                         {"roomId", e.room_id},
                                                         {"agentId", e.agent.id},
                                                         {"agentName", e.agent.display_name}});
            // The agent who had the room heard it go; the room is no longer theirs to read.
            if (!e.previous_agent_id.empty() && e.previous_agent_id != e.agent.id) {
              publisher_.unsubscribe_user(e.previous_agent_id,
                                          std::string(kRoomPrefix) + e.room_id);
            }
          } else if constexpr (std::is_same_v<E, chat::Refusal>) {
            json::object body{{"code", chat::to_string(e.code)}, {"message", e.message}};
            if (!e.request_id.empty()) body["requestId"] = e.request_id;
            if (!e.room_id.empty()) body["roomId"] = e.room_id;
            if (!e.to_agent_id.empty()) body["toAgentId"] = e.to_agent_id;
            // Parameters, so that a page can say it in its own language.
            if (e.code == chat::RefusalCode::kAtCapacity)
              body["maxRooms"] =
                  routing_.max_rooms_of(e.to_agent_id.empty() ? e.user_id : e.to_agent_id);
            // The refusal of the client's own SEND answers it: its receipt id, and no RECEIPT.
            if (request != nullptr && e.user_id == request->user_id) {
              request->refused = true;
              if (const std::string* receipt = request->cause.find("receipt")) {
                body["receiptId"] = *receipt;
              }
            }
            publisher_.send_to_user(e.user_id, "/queue/errors", "application/json",
                                    json::serialize(body));
          } else if constexpr (std::is_same_v<E, chat::AgentReconnecting>) {
            rooms_.publish_event(e.room_id, json::object{{"type", "agent_reconnecting"},
                                                         {"roomId", e.room_id},
                                                         {"agentId", e.agent_id},
                                                         {"until", timestamp_of(e.until)}});
          } else if constexpr (std::is_same_v<E, chat::AgentReconnected>) {
            rooms_.publish_event(e.room_id, json::object{{"type", "agent_reconnected"},
                                                         {"roomId", e.room_id},
                                                         {"agentId", e.agent_id}});
          } else if constexpr (std::is_same_v<E, chat::Requeued>) {
            // The room's agent was cleared by write_decision().
            if (std::optional<RoomMembers> members = rooms_.members().find(e.room_id)) {
              members->agent_id.clear();
              set_room_members(e.room_id, members);
            }
            rooms_.publish_event(
                e.room_id,
                json::object{{"type", e.reason == "transferred" ? "transferred" : "left"},
                             {"roomId", e.room_id},
                             {"agentId", e.previous_agent_id},
                             {"reason", e.reason}});
            publisher_.unsubscribe_user(e.previous_agent_id, std::string(kRoomPrefix) + e.room_id);
          } else if constexpr (std::is_same_v<E, chat::OfferLeaveMessage>) {
            json::object body{
                {"requestId", e.request_id}, {"status", "waiting"}, {"offerLeaveMessage", true}};
            // Why: outside business hours (and when they open again), nobody is signed in at all,
            // or everyone is busy (the wait ran out).
            body["leaveReason"] = chat::to_string(e.reason);
            if (e.opens_at) body["opensAt"] = timestamp_of(*e.opens_at);
            publisher_.send_to_user(e.customer_id, "/queue/consult/status", "application/json",
                                    json::serialize(body));
          }
        },
        effect);
  }
}

void ContactCenter::arm_routing_timer() {
  const auto deadline = routing_.next_deadline();
  if (!deadline) {
    routing_timer_.cancel();
    return;
  }
  const auto wait = std::chrono::milliseconds(std::max<chat::Millis>(0, *deadline - now_ms()));
  routing_timer_.expires_after(wait);
  routing_timer_.async_wait([this](boost::system::error_code error) {
    if (error) return;
    try {
      apply(routing_.on_timer(now_ms()));
    } catch (const std::exception& e) {
      // Logged per effect by apply(), which has re-armed the timer.
      metrics_.error("store_unavailable");
    }
  });
}

}  // namespace aicc::center
