// The contact center across nodes (bus.kind redis): routing commands forwarded to the node that
// holds the routing authority and answered back, room membership shared by every node, and agent
// presence as the union of every node's heartbeats.
#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <charconv>

#include "broker/domain_error.hpp"
#include "center/contact_center.hpp"
#include "center/service_util.hpp"
#include "net/await_result.hpp"
#include "net/bus.hpp"
#include "util/random.hpp"

namespace aicc::center {
namespace asio = boost::asio;
namespace json = boost::json;

namespace {

// A forwarded command with no answer by then is refused: the authority may have died with it.
constexpr auto kForwardTimeout = std::chrono::seconds(5);
// The authority runs a forwarded command only if it comes within this much of being sent (by the
// two nodes' clocks), so that what it does is answered before the forwarding node's timeout told
// the client it was not done.
constexpr std::int64_t kForwardRunWithinUs = 3'000'000;

enum Outcome : std::uint64_t { kRefused = 0, kDone = 1, kNotAuthority = 2 };

}  // namespace

void ContactCenter::set_bus(net::Bus* bus) {
  bus_ = bus;
  *bus_cell_ = bus;
  if (!bus_) return;
  lease_.set_node_id(bus_->node_id());
  bus_->listen(net::node_channel(lease_.node_id()));
}

void ContactCenter::on_bus_event(const net::BusEvent& event) {
  // Membership at once, on the bus's thread (rooms_ has its own lock): the assignment that it
  // goes with reaches the agent's node on this same thread, and a SUBSCRIBE right after it must
  // find the room.
  if (event.kind == net::BusEvent::Kind::kRoomMembers) {
    if (event.seq == 1) {
      rooms_.members().set(event.destination, std::nullopt);
    } else {
      rooms_.members().set(event.destination, RoomMembers{event.user_id, event.login_id});
    }
    return;
  }
  asio::post(executor_, [this, event]() mutable {
    try {
      switch (event.kind) {
        case net::BusEvent::Kind::kRoutingCommand:
          execute_forwarded(event);
          break;
        case net::BusEvent::Kind::kRoutingReply:
          settle_forwarded(event.correlation, event.seq);
          break;
        case net::BusEvent::Kind::kViewRequest:
          execute_view(event);
          break;
        case net::BusEvent::Kind::kViewReply:
          // "Not the authority" (seq 0) from a node taking part in a takeover is left alone: the
          // new authority may still answer, and the timeout ends the wait otherwise.
          if (event.seq != 0) {
            settle_view(event.correlation,
                        Answer{static_cast<unsigned>(event.seq), std::move(event.body)});
          }
          break;
        case net::BusEvent::Kind::kCustomerPresence:
          if (lease_.held()) on_customer_presence(event.user_id, event.origin, event.seq == 1);
          break;
        case net::BusEvent::Kind::kAgentPresence:
          if (lease_.held()) {
            presence_.heartbeat(event.origin,
                                std::set<std::string>(event.user_ids.begin(), event.user_ids.end()),
                                now_ms());
            update_presence();
          }
          break;
        default:
          break;
      }
    } catch (const std::exception& e) {
      spdlog::error("contact center: bus event failed: {}", e.what());
      metrics_.error("store_unavailable");
    }
  });
}

// On a node without the authority, from an I/O thread: the SEND goes to the authority's node,
// and its completion waits there for the answer.
broker::AppResult ContactCenter::forward_routing(const broker::AppMessage& message) {
  net::BusEvent command;
  command.kind = net::BusEvent::Kind::kRoutingCommand;
  command.destination = message.destination;
  command.body = message.body;
  command.user_id = message.sender.user_id;
  command.sender_name = message.sender.name;
  command.sender_role = message.sender.role;
  if (const std::string* receipt = message.frame.find("receipt")) command.receipt = *receipt;
  if (const std::string* request = message.frame.find("request-id")) command.reason = *request;
  Forward forward{message.sender.user_id, cause_of(message.frame), message.defer(), nullptr};
  asio::post(executor_,
             [this, command = std::move(command), forward = std::move(forward)]() mutable {
               forward_command(std::move(command), std::move(forward));
             });
  return broker::AppResult::done();
}

// On the service executor: sends `command` to the authority's node (or runs it here, if this
// node took the authority meanwhile); `forward` is settled with its answer.
void ContactCenter::forward_command(net::BusEvent command, Forward forward) {
  command.correlation = util::random_hex(12);
  auto timer = std::make_unique<asio::steady_timer>(executor_, kForwardTimeout);
  timer->async_wait([this, correlation = command.correlation](boost::system::error_code error) {
    if (!error) settle_forwarded(correlation, kNotAuthority);
  });
  forward.timer = std::move(timer);
  forwards_.emplace(command.correlation, std::move(forward));
  if (lease_.held()) {
    // This node took the authority since the I/O thread looked: it decides here. (On the bus
    // the command would reach no other node, and this one skips its own events.)
    // The reply may come when a queued job is destroyed after this object: checked first.
    run_routing_command(command, [this, alive = std::weak_ptr<int>(alive_), executor = executor_,
                                  correlation = command.correlation](std::uint64_t outcome) {
      if (alive.expired()) return;
      asio::post(executor, [this, alive, correlation, outcome] {
        if (!alive.expired()) settle_forwarded(correlation, outcome);
      });
    });
    return;
  }
  // No node listening on the routing channel (the authority died and nobody took over yet):
  // refused at once rather than after the timeout.
  std::string correlation = command.correlation;
  bus_->publish_to_listener(std::string(net::kRoutingChannel), std::move(command),
                            [this, correlation = std::move(correlation)] {
                              asio::post(executor_, [this, correlation] {
                                settle_forwarded(correlation, kNotAuthority);
                              });
                            });
}

void ContactCenter::hand_over(BotConversation::HandOver hand_over) {
  net::BusEvent command;
  command.kind = net::BusEvent::Kind::kRoutingCommand;
  command.destination = "/app/consult.request";
  command.body =
      json::serialize(json::object{{"category", hand_over.category}, {"reason", hand_over.reason}});
  command.user_id = hand_over.customer.user_id;
  command.sender_name = hand_over.customer.name;
  command.sender_role = std::string(auth::to_string(hand_over.customer.role));
  // Nobody waits for a RECEIPT: the customer hears of the request from its status updates, and
  // of a refusal on /user/queue/errors.
  if (bus_ != nullptr && !lease_.held()) {
    forward_command(std::move(command), Forward{hand_over.customer.user_id, {}, {}, nullptr});
    return;
  }
  run_routing_command(command, [this, customer = hand_over.customer.user_id](std::uint64_t done) {
    if (done == kNotAuthority) {  // a refusal was sent to the customer by the handler itself
      broker::send_domain_error(publisher_, customer, "routing_unavailable",
                                "the bot asked for an agent, but consult routing is not available "
                                "right now; ask for an agent again shortly",
                                {});
    }
  });
}

void ContactCenter::reload_rooms() {
  asio::post(executor_, [this] {
    if (lease_.held()) return;  // the authority's rooms are its own decisions
    try {
      rooms_.members().replace(RoomDirectory::from_store(store_.open_rooms()));
    } catch (const std::exception& e) {
      spdlog::warn("contact center: reloading the open rooms failed: {}", e.what());
      metrics_.error("store_unavailable");
    }
  });
}

void ContactCenter::settle_forwarded(const std::string& correlation, std::uint64_t outcome) {
  auto it = forwards_.find(correlation);
  if (it == forwards_.end()) {
    // Answered already, or timed out. A late "done" means the client was told routing_unavailable
    // for a command that was carried out (its effects reached it as status updates meanwhile).
    if (outcome == kDone) {
      spdlog::warn("contact center: a forwarded command was carried out after its timeout");
      metrics_.error("routing_forward_late");
    }
    return;
  }
  Forward forward = std::move(it->second);
  forwards_.erase(it);
  if (forward.timer) forward.timer->cancel();
  if (outcome == kDone) {
    forward.completion.stored();
    return;
  }
  if (outcome == kNotAuthority) {
    broker::send_domain_error(
        publisher_, forward.user_id, "routing_unavailable",
        "consult routing is not available right now (no node holds it, or it did not answer); "
        "try again shortly",
        forward.cause);
  }
  forward.completion.refused();
}

// On the authority's node: runs a forwarded SEND, and answers the forwarding node once it is
// settled.
void ContactCenter::execute_forwarded(const net::BusEvent& command) {
  // Neither `this` nor the bus itself: a completion may settle while both are torn down.
  run_routing_command(command, [cell = bus_cell_, origin = command.origin,
                                correlation = command.correlation](std::uint64_t outcome) {
    net::BusEvent answer;
    answer.kind = net::BusEvent::Kind::kRoutingReply;
    answer.correlation = correlation;
    answer.seq = outcome;
    if (net::Bus* bus = *cell) bus->publish(net::node_channel(origin), std::move(answer));
  });
}

// Runs a routing command through the same handler as a local SEND; `reply` gets its outcome
// (kDone, kRefused, or kNotAuthority when this node does not decide), maybe later, on any thread.
void ContactCenter::run_routing_command(const net::BusEvent& command,
                                        std::function<void(std::uint64_t)> reply) {
  const broker::SendRoute* route = router_ ? router_->find(command.destination) : nullptr;
  if (!lease_.held() || route == nullptr) {
    reply(kNotAuthority);
    return;
  }
  const std::int64_t now_us = now_ms() * 1000;
  if (command.sent_at_us != 0 && now_us - command.sent_at_us > kForwardRunWithinUs) {
    // Too late to be answered in time: the client will be told it was not done, so it is not.
    spdlog::warn("contact center: a forwarded {} came {} ms after it was sent; not run",
                 command.destination, (now_us - command.sent_at_us) / 1000);
    metrics_.error("routing_forward_late");
    reply(kNotAuthority);
    return;
  }
  stomp::Identity sender{command.user_id, command.sender_role, command.sender_name, 0};
  stomp::Frame frame;
  if (!command.receipt.empty()) frame.add("receipt", command.receipt);
  if (!command.reason.empty()) frame.add("request-id", command.reason);
  broker::SendCompletion completion([reply](bool stored) { reply(stored ? kDone : kRefused); });
  bool deferred = false;
  const broker::AppMessage message{.sender = sender,
                                   .session_id = {},
                                   .destination = command.destination,
                                   .content_type = "application/json",
                                   .body = command.body,
                                   .frame = frame,
                                   .defer = [&deferred, completion] {
                                     deferred = true;
                                     return completion;
                                   }};
  const broker::AppResult result = route->handler(message);
  if (!deferred) {
    if (result.kind == broker::AppResult::Kind::kDone) {
      completion.stored();
    } else {
      completion.refused();
    }
  }
}

// ---- read-only views asked of the authority ------------------------------------------------

struct ContactCenter::PendingView {
  explicit PendingView(const asio::any_io_executor& executor) : timer(executor) {}
  asio::steady_timer timer;
  std::optional<Answer> answer;
};

asio::awaitable<Answer> ContactCenter::view_at_authority(View which, Caller caller,
                                                         std::string argument) {
  // Not a coroutine itself (the GCC 12 reason in service_util.hpp): the task runs on the service
  // executor, where pending_views_ and the timer live.
  auto task = [this, which, caller = std::move(caller),
               argument = std::move(argument)]() -> asio::awaitable<Answer> {
    if (lease_.held()) {
      // Taken since the caller looked: answered here (see forward_routing).
      try {
        co_return view_now(which, caller, argument);
      } catch (const std::exception& e) {
        co_return failed_answer("HTTP request", e);
      }
    }
    net::BusEvent request;
    request.kind = net::BusEvent::Kind::kViewRequest;
    request.destination = std::to_string(static_cast<int>(which));
    request.user_id = caller.user_id;
    request.sender_role = std::string(auth::to_string(caller.role));
    request.sender_name = caller.name;
    request.correlation = util::random_hex(12);
    request.body = argument;
    const std::string correlation = request.correlation;
    auto pending = std::make_shared<PendingView>(executor_);
    pending->timer.expires_after(kForwardTimeout);
    pending_views_.emplace(correlation, pending);
    bus_->publish_to_listener(
        std::string(net::kRoutingChannel), std::move(request), [this, correlation] {
          asio::post(executor_, [this, correlation] { settle_view(correlation, std::nullopt); });
        });
    co_await pending->timer.async_wait(net::kAwaitResult);
    pending_views_.erase(correlation);
    if (pending->answer) co_return std::move(*pending->answer);
    co_return error_answer(503, "routing_unavailable",
                           "the node holding consult routing did not answer (none holds it, or it "
                           "is taking over); try again shortly");
  };
  return asio::co_spawn(executor_, std::move(task), asio::use_awaitable);
}

void ContactCenter::settle_view(const std::string& correlation, std::optional<Answer> answer) {
  auto it = pending_views_.find(correlation);
  if (it == pending_views_.end()) return;  // timed out
  if (it->second->answer) return;          // the first answer wins
  it->second->answer = std::move(answer);
  it->second->timer.cancel();
}

void ContactCenter::execute_view(const net::BusEvent& request) {
  net::BusEvent reply;
  reply.kind = net::BusEvent::Kind::kViewReply;
  reply.correlation = request.correlation;
  const auto role = auth::parse_role(request.sender_role);
  int which = -1;
  std::from_chars(request.destination.data(),
                  request.destination.data() + request.destination.size(), which);
  if (lease_.held() && role && which >= 0 && which <= static_cast<int>(kLastView)) {
    Answer answer;
    try {
      answer = view_now(static_cast<View>(which),
                        Caller{request.user_id, *role, request.sender_name}, request.body);
    } catch (const std::exception& e) {
      answer = failed_answer("HTTP request of another node", e);
    }
    // An answer the bus would not carry is refused here at once, not by the asker's timeout.
    if (answer.body.size() > net::kMaxBusEventBytes - 64 * 1024) {
      metrics_.error("view_too_large");
      answer = error_answer(503, "view_too_large",
                            "this view is too large to be passed between nodes; ask the node "
                            "holding consult routing, or narrow the view");
    }
    reply.seq = answer.status;
    reply.body = std::move(answer.body);
  }  // else seq 0: not the authority (or not a view this build knows)
  if (bus_) bus_->publish(net::node_channel(request.origin), std::move(reply));
}

void ContactCenter::set_room_members(const std::string& room_id,
                                     std::optional<RoomMembers> members) {
  rooms_.set_members(room_id, std::move(members), bus_);
}

// Presence: this node's agents come from its Hub; with a bus, every node also sends the list to
// the authority every second, and the authority's engine sees the union.
void ContactCenter::heartbeat_presence() {
  if (lease_.held()) {
    update_presence();  // the authority's own agents, and the others' expiries
    return;
  }
  if (!bus_) return;
  net::BusEvent beat;
  beat.kind = net::BusEvent::Kind::kAgentPresence;
  beat.user_ids.assign(presence_.local().begin(), presence_.local().end());
  bus_->publish(std::string(net::kRoutingChannel), std::move(beat));
}

void ContactCenter::update_presence() {
  if (!lease_.held()) return;
  const chat::Millis now = now_ms();
  std::vector<AgentPresence::SilentNode> silent;
  const auto changes = presence_.changes(now, &silent);
  for (const auto& node : silent) {
    customers_.forget_node(node.node_id, now);  // its customers are gone from it too
    spdlog::warn(
        "contact center: node {} sent no heartbeat for {} ms; its {} agents are taken for "
        "disconnected",
        node.node_id, node.silent_for, node.agents);
  }
  // One at a time: an agent is recorded as told only once the engine was told, so a change whose
  // effects failed to apply is tried again at the next heartbeat.
  for (const auto& change : changes) {
    try {
      apply(change.connected ? routing_.agent_reconnected(change.agent_id, now)
                             : routing_.agent_disconnected(change.agent_id, now));
    } catch (const std::exception& e) {
      metrics_.error("store_unavailable");  // logged by apply()
      continue;
    }
    presence_.told(change);
  }
}

}  // namespace aicc::center
