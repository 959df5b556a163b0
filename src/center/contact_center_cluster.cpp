// The contact center across nodes (bus.kind redis): routing commands forwarded to the node that
// holds the routing authority and answered back, room membership shared by every node, and agent
// presence as the union of every node's heartbeats.
#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "broker/domain_error.hpp"
#include "center/contact_center.hpp"
#include "center/service_util.hpp"
#include "net/bus.hpp"
#include "util/random.hpp"

namespace aicc::center {
namespace asio = boost::asio;

namespace {

// A forwarded command with no answer by then is refused: the authority may have died with it.
constexpr auto kForwardTimeout = std::chrono::seconds(5);
// Every node tells the authority which agents it holds this often; a node silent for
// kPresenceExpiry is taken for dead and its agents for disconnected (their grace starts).
constexpr chat::Millis kPresenceExpiry = 6000;

enum Outcome : std::uint64_t { kRefused = 0, kDone = 1, kNotAuthority = 2 };

}  // namespace

void ContactCenter::set_bus(net::Bus* bus) {
  bus_ = bus;
  *bus_cell_ = bus;
  if (!bus_) return;
  node_id_ = bus_->node_id();
  bus_->listen(net::node_channel(node_id_));
}

void ContactCenter::on_bus_event(const net::BusEvent& event) {
  // Membership at once, on the bus's thread (rooms_ has its own lock): the assignment that it
  // goes with reaches the agent's node on this same thread, and a SUBSCRIBE right after it must
  // find the room.
  if (event.kind == net::BusEvent::Kind::kRoomMembers) {
    std::lock_guard lock(rooms_mutex_);
    if (event.seq == 1) {
      rooms_.erase(event.destination);
    } else {
      rooms_[event.destination] = RoomMembers{event.user_id, event.login_id};
    }
    return;
  }
  asio::post(executor_, [this, event] {
    try {
      switch (event.kind) {
        case net::BusEvent::Kind::kRoutingCommand:
          execute_forwarded(event);
          break;
        case net::BusEvent::Kind::kRoutingReply:
          settle_forwarded(event.correlation, event.seq);
          break;
        case net::BusEvent::Kind::kAgentPresence:
          if (epoch_ != 0) {
            remote_agents_[event.origin] = RemoteAgents{
                std::set<std::string>(event.user_ids.begin(), event.user_ids.end()), now_ms()};
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
  command.correlation = util::random_hex(12);
  Forward forward{message.sender.user_id, cause_of(message.frame), message.defer(), nullptr};
  asio::post(executor_, [this, command = std::move(command),
                         forward = std::move(forward)]() mutable {
    auto timer = std::make_unique<asio::steady_timer>(executor_, kForwardTimeout);
    timer->async_wait([this, correlation = command.correlation](boost::system::error_code error) {
      if (!error) settle_forwarded(correlation, kNotAuthority);
    });
    forward.timer = std::move(timer);
    forwards_.emplace(command.correlation, std::move(forward));
    // No node listening on the routing channel (the authority died and nobody took over yet):
    // refused at once rather than after the timeout.
    std::string correlation = command.correlation;
    bus_->publish_to_listener(std::string(net::kRoutingChannel), std::move(command),
                              [this, correlation = std::move(correlation)] {
                                asio::post(executor_, [this, correlation] {
                                  settle_forwarded(correlation, kNotAuthority);
                                });
                              });
  });
  return broker::AppResult::done();
}

void ContactCenter::reload_rooms() {
  asio::post(executor_, [this] {
    if (epoch_ != 0) return;  // the authority's rooms are its own decisions
    try {
      std::unordered_map<std::string, RoomMembers> rooms;
      for (const chat::RoomRecord& room : store_.open_rooms())
        rooms[room.id] = RoomMembers{room.customer_id, room.agent_id};
      std::lock_guard lock(rooms_mutex_);
      rooms_ = std::move(rooms);
    } catch (const std::exception& e) {
      spdlog::warn("contact center: reloading the open rooms failed: {}", e.what());
      metrics_.error("store_unavailable");
    }
  });
}

void ContactCenter::settle_forwarded(const std::string& correlation, std::uint64_t outcome) {
  auto it = forwards_.find(correlation);
  if (it == forwards_.end()) return;  // answered already, or timed out
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

// On the authority's node: runs a forwarded SEND through the same handler as a local one, and
// answers the forwarding node once it is settled.
void ContactCenter::execute_forwarded(const net::BusEvent& command) {
  // Neither `this` nor the bus itself: a completion may settle while both are torn down.
  const auto reply = [cell = bus_cell_, origin = command.origin,
                      correlation = command.correlation](std::uint64_t outcome) {
    net::BusEvent answer;
    answer.kind = net::BusEvent::Kind::kRoutingReply;
    answer.correlation = correlation;
    answer.seq = outcome;
    if (net::Bus* bus = *cell) bus->publish(net::node_channel(origin), std::move(answer));
  };
  const broker::SendRoute* route = router_ ? router_->find(command.destination) : nullptr;
  if (epoch_ == 0 || route == nullptr) {
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

void ContactCenter::set_room_members(const std::string& room_id,
                                     std::optional<RoomMembers> members) {
  {
    std::lock_guard lock(rooms_mutex_);
    if (members) {
      rooms_[room_id] = *members;
    } else {
      rooms_.erase(room_id);
    }
  }
  if (!bus_) return;
  net::BusEvent event;
  event.kind = net::BusEvent::Kind::kRoomMembers;
  event.destination = room_id;
  if (members) {
    event.user_id = members->customer_id;
    event.login_id = members->agent_id;
  } else {
    event.seq = 1;
  }
  bus_->publish(std::string(net::kControlChannel), std::move(event));
}

// Presence: this node's agents come from its Hub; with a bus, every node also sends the list to
// the authority every second, and the authority's engine sees the union.
void ContactCenter::heartbeat_presence() {
  if (epoch_ != 0) {
    update_presence();  // the authority's own agents, and the others' expiries
    return;
  }
  if (!bus_) return;
  net::BusEvent beat;
  beat.kind = net::BusEvent::Kind::kAgentPresence;
  beat.user_ids.assign(local_agents_.begin(), local_agents_.end());
  bus_->publish(std::string(net::kRoutingChannel), std::move(beat));
}

void ContactCenter::update_presence() {
  if (epoch_ == 0) return;
  const chat::Millis now = now_ms();
  std::set<std::string> online = local_agents_;
  for (auto it = remote_agents_.begin(); it != remote_agents_.end();) {
    if (now - it->second.seen_at > kPresenceExpiry) {
      spdlog::warn(
          "contact center: node {} sent no heartbeat for {} ms; its {} agents are taken "
          "for disconnected",
          it->first, now - it->second.seen_at, it->second.agents.size());
      it = remote_agents_.erase(it);
      continue;
    }
    online.insert(it->second.agents.begin(), it->second.agents.end());
    ++it;
  }
  std::vector<std::pair<std::string, bool>> changes;
  for (const std::string& agent : online) {
    if (!online_agents_.contains(agent)) changes.emplace_back(agent, true);
  }
  for (const std::string& agent : online_agents_) {
    if (!online.contains(agent)) changes.emplace_back(agent, false);
  }
  // One at a time: an agent is recorded as told only once the engine was told, so a change whose
  // effects failed to apply is tried again at the next heartbeat.
  for (const auto& [agent, connected] : changes) {
    try {
      apply(connected ? routing_.agent_reconnected(agent, now)
                      : routing_.agent_disconnected(agent, now));
    } catch (const std::exception& e) {
      metrics_.error("store_unavailable");  // logged by apply()
      continue;
    }
    if (connected) {
      online_agents_.insert(agent);
    } else {
      online_agents_.erase(agent);
    }
  }
}

}  // namespace aicc::center
