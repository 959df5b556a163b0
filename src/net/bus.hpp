// The bus between nodes: what one node's Hub publishes that subscribers on other nodes must get,
// and the control events that act on sessions wherever they are.
//
// One node (bus.kind local) has no bus at all: the Hub delivers in process. Several nodes
// (bus.kind redis, net/redis_bus) each keep their Hub and connect them through the bus: a Hub
// delivers to its own subscribers first, without a hop, then hands the event to the bus on the
// event's channel; every other node listening on that channel applies it to its own subscribers
// only (an event from the bus is never sent on again). A node listens on a channel only while it
// has a local subscriber for it (a room's topic, a user's sessions), so an event costs traffic to
// the nodes that need it, whatever the cluster size.
//
// Channels (names are opaque to the bus):
//   topic:<destination>  fan-out of a /topic/** destination (rooms, the lobby, consoles)
//   user:<user id>       user destinations and actions on one user's sessions
//   control              every node: actions on sessions by login
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace aicc::net {

struct BusEvent {
  enum class Kind : std::uint8_t {
    kPublish = 1,         // destination, content_type, body; seq when in a stream (else 0)
    kPublishToUsers,      // destination, content_type, body, user_ids: only their sessions
    kSendToUser,          // user_id, destination (/queue/...), content_type, body
    kUnsubscribeUser,     // user_id, destination
    kCloseUserSessions,   // user_id, login_id (empty: all), reason
    kCloseLoginSessions,  // login_id, reason
    // Between contact centers (center/): to the node holding the routing authority and back.
    kRoutingCommand,    // destination (/app/...), body, user_id + sender_name + sender_role,
                        // receipt, reason (the SEND's request-id), correlation: a SEND received
                        // on another node
    kRoutingReply,      // correlation, seq: 1 done, 0 refused (the refusal went to the user), 2 not
                        // the authority
    kRoomMembers,       // destination = room id, user_id = customer, login_id = agent, seq 1 closed
    kAgentPresence,     // user_ids: the agents connected to the sending node now (a heartbeat)
    kViewRequest,       // destination = the view's name, user_id + sender_role + sender_name (the
                        // caller), body = its argument, correlation: an HTTP view (or a
                        // supervisor's change to an agent) asked on another node
    kViewReply,         // correlation, seq = HTTP status, body = the JSON answer; seq 0: not the
                        // authority
    kResync,            // (control, sent by the bus itself) events from `origin` were dropped (its
                        // connection to the bus was lost, or its queue full): every node catches
                        // its stream subscriptions up from the store
    kCustomerPresence,  // user_id = a customer whose first connection on the sending node opened
                        // (seq 1) or whose last one closed (seq 0): for the routing authority
  };
  static constexpr Kind kLastKind = Kind::kCustomerPresence;
  Kind kind = Kind::kPublish;
  std::string origin;           // the node that sent it (set by the bus)
  std::int64_t sent_at_us = 0;  // unix microseconds when it was sent (set by the bus), for lag
  std::string destination;
  std::string content_type;
  std::string body;
  std::uint64_t seq = 0;
  std::string user_id;
  std::string login_id;
  std::string reason;
  std::vector<std::string> user_ids;
  std::string sender_name;
  std::string sender_role;
  std::string receipt;
  std::string correlation;
};

// Bounds of a decoded event: the body of a STOMP frame is at most stomp.max-frame-bytes (64 KiB
// by default); an event names at most a few agents.
inline constexpr std::size_t kMaxBusEventBytes = 4 * 1024 * 1024;
inline constexpr std::size_t kMaxBusUserIds = 10000;

// A compact binary encoding: a version byte, then each field as a 4-byte length and its bytes.
// Hand-written because it is eight fields on the hottest path of a cluster; JSON would escape
// every body twice.
std::string encode_bus_event(const BusEvent& event);
// nullopt for anything that is not a whole, well-formed event of this version within the bounds.
std::optional<BusEvent> decode_bus_event(std::string_view bytes);

std::string topic_channel(std::string_view destination);
std::string user_channel(std::string_view user_id);
std::string node_channel(std::string_view node_id);  // replies to one node
inline constexpr std::string_view kControlChannel = "control";
inline constexpr std::string_view kRoutingChannel = "routing";  // the routing authority's node

struct BusFigures {
  std::uint64_t published = 0;   // events handed to the bus by this node
  std::uint64_t received = 0;    // events applied here from other nodes
  std::uint64_t dropped = 0;     // events not sent (bus down, queue full) or not decodable
  std::uint64_t reconnects = 0;  // connections to the bus opened again after a loss
  bool connected = false;        // both connections up and every channel subscribed
  std::size_t channels = 0;      // channels this node listens on
  double lag_ms = 0;             // last event's time from publish to receipt here
};

class Bus {
 public:
  virtual ~Bus() = default;

  // Sends `event` to the other nodes listening on `channel`. Never blocks; never delivered back
  // to this node.
  virtual void publish(const std::string& channel, BusEvent event) = 0;
  // The same, and `nobody` (on the bus's thread) when no node listened on `channel`: a request
  // that no one will answer can be refused at once instead of timing out.
  virtual void publish_to_listener(const std::string& channel, BusEvent event,
                                   std::function<void()> nobody) = 0;
  // This node starts or stops listening on `channel`. Calls are counted per channel: it listens
  // while there are more listen() than unlisten() calls.
  virtual void listen(const std::string& channel) = 0;
  virtual void unlisten(const std::string& channel) = 0;

  // Called (on the bus's own thread) for every event from another node, and, with the channel,
  // whenever a channel was (re)subscribed after a gap: the bus was down, or it was just joined,
  // and events of it may have been missed meanwhile (the caller catches up from the store).
  struct Receiver {
    std::function<void(const BusEvent&)> event;
    std::function<void(const std::string& channel)> resubscribed;
  };
  virtual void set_receiver(Receiver receiver) = 0;

  virtual BusFigures figures() const = 0;
  // This node's id on the bus (the origin of its events).
  virtual const std::string& node_id() const = 0;
};

}  // namespace aicc::net
