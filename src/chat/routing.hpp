// Consult routing: which agent gets which customer, and when (pure; time comes in as `now`).
//
// A customer asks for a human (one open request per customer); the request waits in one FIFO queue.
// In `hybrid` mode (the default) it is offered to the online agents and, if nobody accepts it
// within `auto_assign_after`, assigned to the least-loaded eligible agent (ties to the longest
// idle); `manual` only offers, `auto` only assigns. An agent whose connections all drop keeps their
// rooms for `agent_grace`; after that the rooms go back to the head of the queue. Every decision is
// audited with the agents it considered.
//
// `Routing` does no I/O, reads no clock and holds no lock: the network layer calls it from one
// strand, turns the returned effects into STOMP messages and store writes, and arms one timer at
// `next_deadline()` that calls `on_timer(now)`. Time-driven transitions (offer windows, grace
// expiry, the max-wait notice) become due at their deadline; `on_timer` is what runs them, though
// any later call also assigns requests whose offer window has passed. Bad client input (unknown
// ids, requests of someone else) is answered with a `Refusal` effect, never asserted on.
//
// Table of contents: options and the ids they make; what the store keeps (`RequestRecord`); the
// effects; the `Routing` class (customer, agent, room and time events, restore, read-only views).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "chat/business_hours.hpp"

namespace aicc::chat {

using Millis = std::int64_t;  // unix milliseconds: the `now` of every call and every timestamp here

enum class RoutingMode {
  kHybrid,  // offer first; auto-assign once the offer window has passed
  kManual,  // offer only; a request waits until an agent accepts it
  kAuto,    // assign at once; no offers
};
std::string_view to_string(RoutingMode mode);  // "hybrid", "manual", "auto"
std::optional<RoutingMode> parse_routing_mode(std::string_view text);

struct RoutingOptions {
  RoutingMode mode = RoutingMode::kHybrid;
  std::chrono::milliseconds auto_assign_after{10'000};  // hybrid offer window, >= 0
  std::chrono::milliseconds agent_grace{60'000};  // how long a disconnected agent keeps rooms, >= 0
  std::optional<std::chrono::milliseconds> max_wait{};  // past it a waiting customer is offered to
                                                        // leave a message; empty: never
  // When agents are there; outside them a new request is offered to leave a message at once.
  // Empty: around the clock.
  std::optional<BusinessHours> hours{};
  // Active rooms at which an agent gets no more, automatically or by hand; >= 1. An agent's own
  // limit (set_room_limit) replaces it for them.
  int max_rooms_per_agent = 3;
  // Make ids unique over the store's whole life (random in production). Empty: "request-N" and
  // "room-N" counters that skip ids in use: deterministic, for tests only (they restart at 1).
  std::function<std::string()> new_request_id;
  std::function<std::string()> new_room_id;
};

struct CustomerRef {
  std::string id{};            // the user id from the customer's token
  std::string display_name{};  // shown to agents
};

struct AgentRef {
  std::string id{};            // the user id from the agent's token
  std::string display_name{};  // shown to the customer (`agentName`)
};

// What the customer asked for, as the agents' consoles show it.
struct RequestDetails {
  std::string category{};          // e.g. the bot's category; may be empty
  std::string reason{};            // the customer's words; may be empty
  std::string last_bot_message{};  // may be empty
};

enum class AgentStatus { kAvailable, kAway };
std::string_view to_string(AgentStatus status);  // "available", "away"
std::optional<AgentStatus> parse_agent_status(std::string_view text);

// `/user/queue/consult/status` values.
enum class ConsultStatus { kWaiting, kConnected, kAutoAssigned, kCanceled, kClosed };
std::string_view to_string(ConsultStatus status);  // "waiting", "connected", "auto_assigned", …

enum class AssignMode { kManual, kAuto };
std::string_view to_string(AssignMode mode);  // "manual", "auto"

// The durable state of one open request: what the store keeps and `restore` takes back. A request
// is open from `request` until it is canceled or its room is closed.
struct RequestRecord {
  std::string id{};                     // request id, unique
  CustomerRef customer{};               // at most one open request per customer id
  RequestDetails details{};             // as asked
  Millis requested_at = 0;              // when the customer asked; FIFO order of the queue
  std::optional<Millis> requeued_at{};  // set while waiting after a requeue: such requests are
                                        // ahead of all others, FIFO by this time among themselves
  std::vector<std::string> rejected_by{};  // agent ids that rejected it, sorted, no duplicates;
                                           // kept across requeues
  std::string room_id{};  // empty until first assigned; then kept for the request's life, also
                          // while it waits again after a requeue
  AgentRef agent{};       // the agent who has the room; id empty while waiting
  AssignMode mode = AssignMode::kManual;  // how `agent` got it; meaningless while waiting
};

// The durable state of an agent, what the store keeps and `restore` takes back: logged in or not,
// and the status they chose. Another node taking the routing over (or a restart) finds the agents
// as they were, instead of everybody logged out until their consoles happen to log in again.
struct AgentRecord {
  AgentRef agent{};
  bool online = false;  // logged in
  AgentStatus status = AgentStatus::kAvailable;
};

// Effects: what the caller must do after a call, in order.
// A store write comes before the messages that announce the change it records.

// To the customer on `/user/queue/consult/status`.
struct CustomerStatus {
  std::string customer_id{};
  std::string request_id{};
  ConsultStatus status = ConsultStatus::kWaiting;
  std::optional<int> position{};  // 1-based queue position, only with kWaiting
  std::string agent_id{};    // with kConnected/kAutoAssigned, and kClosed when the room had one
  std::string agent_name{};  // idem
  std::string room_id{};     // once the request has a room
  std::string reason{};  // why this status came now: "transferred", "agent_grace_expired"; or empty
  bool agent_reconnecting = false;  // with kConnected/kAutoAssigned: the agent's connections all
                                    // dropped and agent_grace is running
};

// A request put up for agents: to `/topic/consult/request`, delivered to `recipients` only
// (online, connected and not rejected it; away agents included since they may accept by hand).
struct OfferRequest {
  std::string request_id{};
  CustomerRef customer{};
  RequestDetails details{};
  Millis waiting_since = 0;  // when it (re)entered the queue
  std::string reason{};      // "" for a new request, else why it came back: "transferred", …
  std::vector<std::string> recipients{};  // agent ids, sorted
};

// To every agent console on `/topic/consult/updates`, so taken or withdrawn requests disappear.
struct RequestUpdate {
  enum class Status { kAssigned, kCanceled };
  std::string request_id{};
  Status status = Status::kAssigned;
  std::string agent_id{};  // with kAssigned
};
std::string_view to_string(RequestUpdate::Status status);  // "assigned", "canceled"

// A room now belongs to `agent`: to `/user/queue/agent/assignment` (the caller adds the history).
struct Assigned {
  std::string request_id{};
  std::string room_id{};
  AgentRef agent{};
  CustomerRef customer{};
  RequestDetails details{};
  AssignMode mode = AssignMode::kManual;  // kManual: accepted or transferred by name
  std::string previous_agent_id{};        // who had this room before (transfer, requeue); or empty
  std::string reason{};                   // "transferred", "agent_grace_expired"; empty for a first
                                          // assignment
  Millis requested_at = 0;                // when the customer asked
};

// A domain error for one user on `/user/queue/errors`; the connection stays open.
enum class RefusalCode {
  kNotFound,          // unknown, canceled or closed request or room (or someone else's)
  kAlreadyAssigned,   // another accept won, or the request is no longer waiting
  kAtCapacity,        // the agent (or transfer target) has max_rooms_of() rooms
  kNotWaiting,        // cancel of a request that has an agent; reject of one's own room
  kAgentUnavailable,  // transfer target is unknown, logged out or disconnected
  kAgentOffline,      // the acting agent has not logged in (agent.login)
  kNotParticipant,    // room close or transfer by someone who is not in the room
  kSameAgent,         // transfer of a room to the agent who has it
};
std::string_view to_string(RefusalCode code);  // "not_found", "already_assigned", …

struct Refusal {
  std::string user_id{};  // who gets it
  RefusalCode code = RefusalCode::kNotFound;
  std::string message{};      // for people: says what happened
  std::string request_id{};   // when known
  std::string room_id{};      // when known
  std::string to_agent_id{};  // a refused transfer: the agent it was meant for
};

// One line of the audit log.
enum class AuditEvent {
  kOffer,         // put up for agents (once per stay in the queue; late joiners get re-deliveries)
  kAccept,        // manual accept won
  kReject,        // an agent rejected a request
  kAutoAssign,    // the engine assigned it
  kNoAgent,       // due for auto-assignment but nobody eligible (once per stay in the queue)
  kRequeue,       // a room went back to the queue
  kTransfer,      // an agent handed a room to another agent or to the queue
  kCancel,        // the customer withdrew a waiting request
  kClose,         // a room (or a waiting requeued request) ended
  kRefusal,       // a Refusal effect was sent
  kLeaveMessage,  // the customer was offered to leave a message (max_wait)
  kErasure,       // a customer's data was erased (agent_id: who did it; reason: how much)
};
std::string_view to_string(AuditEvent event);  // "offer", "accept", …, "leave_message"

// Why an agent was or was not picked; the first reason that applies, in this order.
enum class CandidateVerdict {
  kPicked,        // got the offer / the assignment
  kOffline,       // not logged in
  kDisconnected,  // logged in but no connection (in grace)
  kRejected,      // rejected this request
  kAway,          // status away (auto-assignment only; away agents still get offers)
  kAtCapacity,    // max_rooms_per_agent rooms already
  kBusier,        // eligible, more rooms than the picked agent
  kIdleShorter,   // eligible, same rooms, idle for less time than the picked agent
  kLostTie,       // eligible, same rooms and idle time; the smaller agent id won
};
std::string_view to_string(CandidateVerdict verdict);  // "picked", "offline", …

struct AuditCandidate {
  std::string agent_id{};
  CandidateVerdict verdict = CandidateVerdict::kPicked;
  int active_rooms = 0;  // at the time of the decision
};

struct Audit {
  AuditEvent event = AuditEvent::kOffer;
  Millis at = 0;
  std::string request_id{};     // may be empty for a refusal about an unknown id
  std::string agent_id{};       // the agent acting, assigned or refused; or empty
  std::string from_agent_id{};  // kTransfer, kRequeue: who had the room
  std::string reason{};  // event-specific, e.g. "offer_window_passed", "agent_grace_expired",
                         // a refusal code
  std::vector<AuditCandidate> candidates{};  // kOffer, kAutoAssign, kNoAgent: every known agent,
                                             // sorted by id
};

// The agent of a room lost all connections: tell the customer the agent is reconnecting.
struct AgentReconnecting {
  std::string room_id{};
  std::string request_id{};
  std::string customer_id{};
  std::string agent_id{};
  Millis until = 0;  // when the room goes back to the queue unless the agent is back
};

// The agent is back within the grace period: clear the customer's notice.
struct AgentReconnected {
  std::string room_id{};
  std::string request_id{};
  std::string customer_id{};
  std::string agent_id{};
};

// A room lost its agent and waits again at the head of the queue (the customer's new status and
// the new offer come as their own effects). The caller tells the old agent the room left them.
struct Requeued {
  std::string request_id{};
  std::string room_id{};
  std::string customer_id{};
  std::string previous_agent_id{};
  std::string reason{};  // "agent_grace_expired" or "transferred"
};

// Why a waiting customer is offered to leave a message instead.
enum class LeaveReason {
  kBusy,          // they waited max_wait
  kNobodyOnline,  // offered at once: no agent is signed in
  kClosed,        // offered at once: outside business hours (or a holiday)
};
std::string_view to_string(LeaveReason reason);  // "busy", "nobody_online", "closed"

// Offer the customer to leave a message instead (the request keeps waiting: an agent may still
// take it). Once per stay in the queue; a restart may send it once more.
struct OfferLeaveMessage {
  std::string customer_id{};
  std::string request_id{};
  Millis waiting_since = 0;
  LeaveReason reason = LeaveReason::kBusy;
  std::optional<Millis> opens_at{};  // kClosed: when business hours begin again, if they do
};

// Write (insert or replace) this open request in the store.
struct StoreUpsert {
  RequestRecord record{};
};

// The request is no longer open: delete it from the store.
struct StoreErase {
  std::string request_id{};
};

// Write (insert or replace) this agent's record in the store: on login, logout, a status change
// and the end of a grace period.
struct StoreAgent {
  AgentRecord record{};
};

using Effect = std::variant<CustomerStatus, OfferRequest, RequestUpdate, Assigned, Refusal, Audit,
                            AgentReconnecting, AgentReconnected, Requeued, OfferLeaveMessage,
                            StoreUpsert, StoreErase, StoreAgent>;
using Effects = std::vector<Effect>;

// Read-only views, for the supervisor figures and for access checks.

struct WaitingView {
  std::string request_id{};
  std::string customer_id{};
  std::string customer_name{};  // as the customer's token named them
  RequestDetails details{};     // as asked, what the agents' consoles show
  int position = 0;             // 1-based
  Millis waiting_since = 0;     // when it (re)entered the queue
  bool requeued = false;        // in the head lane after a requeue
  std::size_t rejections = 0;
};

struct AgentView {
  AgentRef agent{};
  bool online = false;  // logged in
  AgentStatus status = AgentStatus::kAvailable;
  bool connected = false;               // has at least one connection
  int active_rooms = 0;                 // rooms the agent has now
  Millis idle_since = 0;                // last assignment, or login when later
  std::optional<Millis> grace_until{};  // set while disconnected with rooms or logged in
  int max_rooms = 0;                    // the agent's room limit (their own, or the default)
};

// How a console or the supervisor page shows an agent, first match wins: "reconnecting" (their
// connections dropped and agent_grace is running), "offline" (not logged in), "away", "available".
std::string_view presence_of(const AgentView& agent);

struct RoomView {
  std::string room_id{};
  std::string request_id{};
  CustomerRef customer{};
  AgentRef agent{};          // id empty while the room waits in the queue after a requeue
  RequestDetails details{};  // of the request the room serves
  std::optional<Millis> assigned_at{};  // when `agent` got it (accept, auto-assignment, transfer);
                                        // empty while waiting, and for rooms restored after a
                                        // restart (the store does not keep it)
};

class Routing {
 public:
  explicit Routing(RoutingOptions options = {});

  // Customer asks for an agent. With a request already open, returns its current status only.
  Effects request(const CustomerRef& customer, const RequestDetails& details, Millis now);
  // Withdraws a waiting request of this customer (kNotWaiting once it has an agent).
  Effects cancel(std::string_view customer_id, std::string_view request_id, Millis now);

  // Online with status `initial` (available unless the console says it stays away), connected;
  // receives the waiting offers. The status is set before anything is assigned, so an agent who
  // logs in away is never auto-assigned a due request in between. Rooms kept through a grace
  // period are kept for good.
  Effects agent_login(const AgentRef& agent, Millis now,
                      AgentStatus initial = AgentStatus::kAvailable);
  // Offline: no more offers or assignments. The agent keeps the rooms they have.
  Effects agent_logout(std::string_view agent_id, Millis now);
  // Away agents get offers but no auto-assignment. Refused (kAgentOffline) before login.
  Effects agent_status(std::string_view agent_id, AgentStatus status, Millis now);
  // The agent's last connection closed: their rooms are kept for agent_grace.
  Effects agent_disconnected(std::string_view agent_id, Millis now);
  // A connection of a disconnected agent is back: the grace ends, the rooms stay.
  Effects agent_reconnected(std::string_view agent_id, Millis now);
  // First accept of a waiting request wins; allowed for away agents and in every mode.
  Effects accept(std::string_view agent_id, std::string_view request_id, Millis now);
  // This agent is never offered or auto-assigned this request again (even after a requeue).
  Effects reject(std::string_view agent_id, std::string_view request_id, Millis now);

  // Ends the room (and its request). `by_user_id` must be its customer or its agent; empty means
  // the server itself closes it (no check).
  Effects room_closed(std::string_view room_id, std::string_view by_user_id, Millis now);
  // The room's agent hands it to `to_agent_id` (online and connected, below capacity), or with
  // nullopt back to the head of the queue (nobody excluded but those who rejected it).
  Effects transfer(std::string_view room_id, std::string_view by_agent_id,
                   std::optional<std::string_view> to_agent_id, Millis now);

  // The agent's own room limit (max_rooms <= 0: back to max_rooms_per_agent), for agents known or
  // not yet seen. Lowering it takes no room away: the agent just gets none until below it.
  Effects set_room_limit(std::string_view agent_id, int max_rooms, Millis now);
  // Every agent's own limit at once (after a restart or a takeover, from the user store);
  // restore() leaves them as they are.
  void replace_room_limits(std::map<std::string, int, std::less<>> limits);
  // The active rooms at which the agent gets no more.
  int max_rooms_of(std::string_view agent_id) const;

  // Runs what is due at `now`: grace expiries, auto-assignments, max-wait notices.
  Effects on_timer(Millis now);
  // The earliest pending deadline (may be in the past: then call on_timer at once); nullopt: none.
  std::optional<Millis> next_deadline() const;

  // Replaces all state with the store's open requests and agents after a restart or a takeover.
  // Waiting ones keep their order and rejections and get a fresh offer window from `now`; rooms
  // keep their agent. Agents come back as they were recorded (logged in or not, with their
  // status) but disconnected: those logged in or with rooms get agent_grace from `now` to be
  // reported connected (agent_reconnected) or to log in. A second open request of one customer
  // (or a second record of one room) is dropped with a StoreErase; a repeated id is skipped.
  Effects restore(std::vector<RequestRecord> records, Millis now,
                  std::vector<AgentRecord> agents = {});

  std::vector<WaitingView> waiting() const;  // queue order
  std::vector<AgentView> agents() const;     // every agent seen since start, by id
  std::vector<RoomView> rooms() const;       // by room id
  std::optional<RoomView> room(std::string_view room_id) const;
  std::size_t waiting_count() const { return queue_.size(); }
  // Where the customer's open request stands, as `/user/queue/consult/status` would say it now
  // (waiting with its position, or connected / auto_assigned with agent and room, and whether that
  // agent is reconnecting); nullopt when they have no open request. Changes nothing.
  std::optional<CustomerStatus> customer_status(std::string_view customer_id) const;
  const RoutingOptions& options() const { return options_; }
  // Who sees request `request_id` now: the agents it is offered to while it waits (logged in,
  // connected, not having rejected it; nobody in auto mode), its agent once assigned; nobody once
  // it is over. What follows an offer (the bot's summary) goes to them alone.
  std::vector<std::string> audience(std::string_view request_id) const;

 private:
  // Queue order: the requeued lane first, then by lane time, request time and arrival.
  struct QueueKey {
    int lane = 1;  // 0 requeued, 1 first-time
    Millis lane_time = 0;
    Millis requested_at = 0;
    std::uint64_t seq = 0;  // unique
    // clang-tidy 14 reads the defaulted <=> as a literal 0 compared with a pointer.
    auto operator<=>(const QueueKey&) const = default;  // NOLINT(modernize-use-nullptr)
  };

  struct Request {
    RequestRecord record{};
    Millis queued_since = 0;         // requested_at or the last requeue
    std::optional<Millis> due_at{};  // waiting: when auto-assignment may start; none in manual mode
    bool due_seen = false;           // due_at has passed and was acted on (no longer a deadline)
    bool no_agent_audited = false;   // kNoAgent written for this stay in the queue
    bool leave_offered = false;      // OfferLeaveMessage sent for this stay in the queue
    int sent_position = 0;           // last position told to the customer; 0: none this stay
    std::string pending_reason{};    // put on the next waiting status, then cleared
    std::string requeue_reason{};    // why it waits again; cleared on assignment
    std::string previous_agent_id{};      // who had the room before the requeue
    std::optional<Millis> assigned_at{};  // when the current agent got it; not stored
    QueueKey key;                         // valid while waiting
    bool waiting() const { return record.agent.id.empty(); }
  };

  struct Agent {
    AgentRef ref{};
    bool online = false;
    AgentStatus status = AgentStatus::kAvailable;
    bool connected = false;
    Millis idle_since = 0;
    std::optional<Millis> grace_until{};
    std::set<std::string> rooms{};  // room ids the agent has
  };

  Request* find_request(std::string_view id);
  Agent* find_agent(std::string_view id);
  static AgentRecord record_of(const Agent& agent);
  Request* request_of_room(std::string_view room_id);
  int load(const Agent& agent) const { return static_cast<int>(agent.rooms.size()); }
  bool rejected(const Request& request, std::string_view agent_id) const;
  std::optional<Millis> due_from(Millis now) const;
  std::string make_request_id();
  std::string make_room_id();

  void enqueue(Request& request);
  void dequeue(Request& request);
  void erase_request(Request& request);
  // Why `agent` may not be auto-assigned `request` (the first CandidateVerdict that applies);
  // nullopt when eligible.
  std::optional<CandidateVerdict> skip_reason(const Request& request, const Agent& agent) const;
  Agent* pick(const Request& request);  // the eligible agent to auto-assign; null: nobody
  std::vector<AuditCandidate> explain(const Request& request, const Agent* picked) const;
  void offer(Request& request, Millis now, Effects& out);
  void redeliver_offers(const Agent& agent, Effects& out);
  void assign(Request& request, Agent& agent, AssignMode mode, std::string audit_reason,
              std::vector<AuditCandidate> candidates, Millis now, Effects& out);
  void requeue(Request& request, const std::string& reason, Millis now, Effects& out);
  void expire_grace(Agent& agent, Millis now, Effects& out);
  void reconnect(Agent& agent, Effects& out);
  void refuse(Effects& out, std::string_view user_id, RefusalCode code, std::string message,
              std::string_view request_id, std::string_view room_id, Millis now,
              std::string_view to_agent_id = {});
  CustomerStatus current_status(const Request& request) const;
  void drain(Millis now, Effects& out);
  void sync_positions(Effects& out);
  void finish(Millis now, Effects& out);

  RoutingOptions options_;
  std::map<std::string, Request, std::less<>> requests_;         // open requests by id
  std::map<QueueKey, std::string> queue_;                        // waiting request ids in order
  std::map<std::string, std::string, std::less<>> rooms_;        // room id -> request id
  std::map<std::string, std::string, std::less<>> by_customer_;  // customer id -> open request
  std::map<std::string, Agent, std::less<>> agents_;             // by id
  std::map<std::string, int, std::less<>> room_limits_;          // agent id -> own limit, >= 1
  std::uint64_t next_seq_ = 0;
  std::uint64_t request_counter_ = 0;  // default ids only
  std::uint64_t room_counter_ = 0;     // default ids only
};

}  // namespace aicc::chat
