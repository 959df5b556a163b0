#include "chat/routing.hpp"

#include <algorithm>
#include <cassert>
#include <tuple>
#include <utility>

namespace aicc::chat {

std::string_view to_string(RoutingMode mode) {
  switch (mode) {
    case RoutingMode::kHybrid:
      return "hybrid";
    case RoutingMode::kManual:
      return "manual";
    case RoutingMode::kAuto:
      return "auto";
  }
  return "hybrid";
}

std::optional<RoutingMode> parse_routing_mode(std::string_view text) {
  if (text == "hybrid") return RoutingMode::kHybrid;
  if (text == "manual") return RoutingMode::kManual;
  if (text == "auto") return RoutingMode::kAuto;
  return std::nullopt;
}

std::string_view to_string(AgentStatus status) {
  return status == AgentStatus::kAway ? "away" : "available";
}

std::string_view to_string(LeaveReason reason) {
  switch (reason) {
    case LeaveReason::kBusy:
      return "busy";
    case LeaveReason::kNobodyOnline:
      return "nobody_online";
    case LeaveReason::kClosed:
      return "closed";
  }
  return "busy";
}

std::optional<AgentStatus> parse_agent_status(std::string_view text) {
  if (text == "available") return AgentStatus::kAvailable;
  if (text == "away") return AgentStatus::kAway;
  return std::nullopt;
}

std::string_view to_string(ConsultStatus status) {
  switch (status) {
    case ConsultStatus::kWaiting:
      return "waiting";
    case ConsultStatus::kConnected:
      return "connected";
    case ConsultStatus::kAutoAssigned:
      return "auto_assigned";
    case ConsultStatus::kCanceled:
      return "canceled";
    case ConsultStatus::kClosed:
      return "closed";
  }
  return "waiting";
}

std::string_view presence_of(const AgentView& agent) {
  if (agent.grace_until) return "reconnecting";
  // Logged in without a connection and no grace running (agent_grace 0): gone, for all purposes.
  if (!agent.online || !agent.connected) return "offline";
  return agent.status == AgentStatus::kAway ? "away" : "available";
}

std::string_view to_string(AssignMode mode) {
  return mode == AssignMode::kAuto ? "auto" : "manual";
}

std::string_view to_string(RequestUpdate::Status status) {
  return status == RequestUpdate::Status::kCanceled ? "canceled" : "assigned";
}

std::string_view to_string(RefusalCode code) {
  switch (code) {
    case RefusalCode::kNotFound:
      return "not_found";
    case RefusalCode::kAlreadyAssigned:
      return "already_assigned";
    case RefusalCode::kAtCapacity:
      return "at_capacity";
    case RefusalCode::kNotWaiting:
      return "not_waiting";
    case RefusalCode::kAgentUnavailable:
      return "agent_unavailable";
    case RefusalCode::kAgentOffline:
      return "agent_offline";
    case RefusalCode::kNotParticipant:
      return "not_participant";
    case RefusalCode::kSameAgent:
      return "same_agent";
  }
  return "not_found";
}

std::string_view to_string(AuditEvent event) {
  switch (event) {
    case AuditEvent::kOffer:
      return "offer";
    case AuditEvent::kAccept:
      return "accept";
    case AuditEvent::kReject:
      return "reject";
    case AuditEvent::kAutoAssign:
      return "auto_assign";
    case AuditEvent::kNoAgent:
      return "no_agent";
    case AuditEvent::kRequeue:
      return "requeue";
    case AuditEvent::kTransfer:
      return "transfer";
    case AuditEvent::kCancel:
      return "cancel";
    case AuditEvent::kClose:
      return "close";
    case AuditEvent::kRefusal:
      return "refusal";
    case AuditEvent::kLeaveMessage:
      return "leave_message";
    case AuditEvent::kErasure:
      return "erasure";
  }
  return "offer";
}

std::string_view to_string(CandidateVerdict verdict) {
  switch (verdict) {
    case CandidateVerdict::kPicked:
      return "picked";
    case CandidateVerdict::kOffline:
      return "offline";
    case CandidateVerdict::kDisconnected:
      return "disconnected";
    case CandidateVerdict::kRejected:
      return "rejected";
    case CandidateVerdict::kAway:
      return "away";
    case CandidateVerdict::kAtCapacity:
      return "at_capacity";
    case CandidateVerdict::kBusier:
      return "busier";
    case CandidateVerdict::kIdleShorter:
      return "idle_shorter";
    case CandidateVerdict::kLostTie:
      return "lost_tie";
  }
  return "picked";
}

namespace {

constexpr std::string_view kTransferred = "transferred";
constexpr std::string_view kGraceExpired = "agent_grace_expired";

}  // namespace

Routing::Routing(RoutingOptions options) : options_(std::move(options)) {
  // Configuration is validated upstream; keep the engine's own arithmetic sane regardless.
  options_.max_rooms_per_agent = std::max(options_.max_rooms_per_agent, 1);
  options_.auto_assign_after = std::max(options_.auto_assign_after, std::chrono::milliseconds{0});
  options_.agent_grace = std::max(options_.agent_grace, std::chrono::milliseconds{0});
}

// Customers.

Effects Routing::request(const CustomerRef& customer, const RequestDetails& details, Millis now) {
  Effects out;
  if (auto open = by_customer_.find(customer.id); open != by_customer_.end()) {
    // One open request per customer: asking again only repeats where it stands.
    out.emplace_back(current_status(requests_.at(open->second)));
    return out;
  }
  Request fresh;
  fresh.record.id = make_request_id();
  fresh.record.customer = customer;
  fresh.record.details = details;
  fresh.record.requested_at = now;
  fresh.queued_since = now;
  fresh.due_at = due_from(now);
  [[maybe_unused]] auto [it, inserted] = requests_.emplace(fresh.record.id, std::move(fresh));
  assert(inserted);
  Request& request = it->second;
  by_customer_.emplace(customer.id, request.record.id);
  enqueue(request);
  out.emplace_back(StoreUpsert{request.record});
  offer(request, now, out);
  finish(now, out);
  // Outside business hours, or with no agent signed in, the customer is told at once and may leave
  // a message (the request keeps waiting: an agent may still take it).
  const bool closed = options_.hours && !options_.hours->open_at(now);
  const bool nobody_online = std::none_of(agents_.begin(), agents_.end(),
                                          [](const auto& entry) { return entry.second.online; });
  if ((closed || nobody_online) && request.waiting()) {
    request.leave_offered = true;
    const LeaveReason reason = closed ? LeaveReason::kClosed : LeaveReason::kNobodyOnline;
    out.emplace_back(
        OfferLeaveMessage{.customer_id = customer.id,
                          .request_id = request.record.id,
                          .waiting_since = now,
                          .reason = reason,
                          .opens_at = closed ? options_.hours->next_opening(now) : std::nullopt});
    out.emplace_back(Audit{.event = AuditEvent::kLeaveMessage,
                           .at = now,
                           .request_id = request.record.id,
                           .reason = std::string(to_string(reason))});
  }
  return out;
}

Effects Routing::cancel(std::string_view customer_id, std::string_view request_id, Millis now) {
  Effects out;
  Request* request = find_request(request_id);
  // Someone else's request is answered like an unknown one: ids are not to be probed.
  if (request == nullptr || request->record.customer.id != customer_id) {
    refuse(out, customer_id, RefusalCode::kNotFound, "There is no such consult request.",
           request_id, "", now);
    return out;
  }
  if (!request->waiting()) {
    refuse(out, customer_id, RefusalCode::kNotWaiting,
           "An agent already has this request; close the room instead.", request_id,
           request->record.room_id, now);
    return out;
  }
  out.emplace_back(StoreErase{request->record.id});
  out.emplace_back(CustomerStatus{.customer_id = request->record.customer.id,
                                  .request_id = request->record.id,
                                  .status = ConsultStatus::kCanceled,
                                  .room_id = request->record.room_id});
  out.emplace_back(
      RequestUpdate{.request_id = request->record.id, .status = RequestUpdate::Status::kCanceled});
  out.emplace_back(Audit{.event = AuditEvent::kCancel,
                         .at = now,
                         .request_id = request->record.id,
                         .reason = "customer"});
  erase_request(*request);
  finish(now, out);
  return out;
}

// Agents.

Effects Routing::agent_login(const AgentRef& agent, Millis now, AgentStatus initial) {
  Effects out;
  Agent& a = agents_[agent.id];
  a.ref = agent;
  if (!a.online) a.idle_since = now;
  a.online = true;
  a.status = initial;
  out.emplace_back(StoreAgent{record_of(a)});
  if (!a.connected) reconnect(a, out);
  // Assign what is due first, so the agent is not shown offers that are taken at once.
  drain(now, out);
  redeliver_offers(a, out);
  sync_positions(out);
  return out;
}

Effects Routing::agent_logout(std::string_view agent_id, Millis now) {
  Effects out;
  Agent* a = find_agent(agent_id);
  if (a == nullptr || !a->online) return out;
  a->online = false;
  out.emplace_back(StoreAgent{record_of(*a)});
  finish(now, out);
  return out;
}

Effects Routing::agent_status(std::string_view agent_id, AgentStatus status, Millis now) {
  Effects out;
  Agent* a = find_agent(agent_id);
  if (a == nullptr || !a->online) {
    refuse(out, agent_id, RefusalCode::kAgentOffline, "Log in as an agent first.", "", "", now);
    return out;
  }
  if (a->status != status) {
    a->status = status;
    out.emplace_back(StoreAgent{record_of(*a)});
  }
  finish(now, out);
  return out;
}

Effects Routing::set_room_limit(std::string_view agent_id, int max_rooms, Millis now) {
  Effects out;
  if (max_rooms <= 0) {
    if (auto found = room_limits_.find(agent_id); found != room_limits_.end())
      room_limits_.erase(found);
  } else {
    room_limits_.insert_or_assign(std::string(agent_id), max_rooms);
  }
  // A higher limit may let a due request be assigned now; a lower one takes no room away.
  finish(now, out);
  return out;
}

void Routing::replace_room_limits(std::map<std::string, int, std::less<>> limits) {
  std::erase_if(limits, [](const auto& entry) { return entry.second <= 0; });
  room_limits_ = std::move(limits);
}

int Routing::max_rooms_of(std::string_view agent_id) const {
  const auto found = room_limits_.find(agent_id);
  return found == room_limits_.end() ? options_.max_rooms_per_agent : found->second;
}

Effects Routing::agent_disconnected(std::string_view agent_id, Millis now) {
  Effects out;
  Agent* a = find_agent(agent_id);
  if (a == nullptr || !a->connected) return out;
  a->connected = false;
  // Only a logged-in agent or one with rooms has something to lose; the others just go quiet.
  if (a->online || !a->rooms.empty()) {
    const Millis until = now + options_.agent_grace.count();
    a->grace_until = until;
    for (const auto& room_id : a->rooms) {
      const Request& request = *request_of_room(room_id);
      out.emplace_back(AgentReconnecting{.room_id = room_id,
                                         .request_id = request.record.id,
                                         .customer_id = request.record.customer.id,
                                         .agent_id = a->ref.id,
                                         .until = until});
    }
  }
  finish(now, out);
  return out;
}

Effects Routing::agent_reconnected(std::string_view agent_id, Millis now) {
  Effects out;
  Agent* a = find_agent(agent_id);
  if (a == nullptr || a->connected) return out;
  reconnect(*a, out);
  drain(now, out);
  if (a->online) redeliver_offers(*a, out);  // broadcasts sent while away were lost
  sync_positions(out);
  return out;
}

Effects Routing::accept(std::string_view agent_id, std::string_view request_id, Millis now) {
  Effects out;
  Agent* a = find_agent(agent_id);
  if (a == nullptr || !a->online) {
    refuse(out, agent_id, RefusalCode::kAgentOffline, "Log in as an agent before accepting.",
           request_id, "", now);
    return out;
  }
  Request* request = find_request(request_id);
  if (request == nullptr) {
    refuse(out, agent_id, RefusalCode::kNotFound,
           "This consult request no longer exists (canceled or closed).", request_id, "", now);
    return out;
  }
  if (!request->waiting()) {
    refuse(out, agent_id, RefusalCode::kAlreadyAssigned,
           "This consult request was already taken by an agent.", request_id, "", now);
    return out;
  }
  if (load(*a) >= max_rooms_of(a->ref.id)) {
    refuse(out, agent_id, RefusalCode::kAtCapacity,
           "You already have the most rooms allowed; close one first.", request_id, "", now);
    return out;
  }
  assign(*request, *a, AssignMode::kManual, "accepted", {}, now, out);
  finish(now, out);
  return out;
}

Effects Routing::reject(std::string_view agent_id, std::string_view request_id, Millis now) {
  Effects out;
  Request* request = find_request(request_id);
  if (request == nullptr) {
    refuse(out, agent_id, RefusalCode::kNotFound, "There is no such consult request.", request_id,
           "", now);
    return out;
  }
  if (!request->waiting() && request->record.agent.id == agent_id) {
    refuse(out, agent_id, RefusalCode::kNotWaiting,
           "You already have this request; transfer or close the room instead.", request_id,
           request->record.room_id, now);
    return out;
  }
  if (rejected(*request, agent_id)) return out;
  // Kept even when someone else has the room: it matters again if the room is requeued.
  auto& list = request->record.rejected_by;
  list.insert(std::lower_bound(list.begin(), list.end(), agent_id), std::string(agent_id));
  out.emplace_back(Audit{.event = AuditEvent::kReject,
                         .at = now,
                         .request_id = request->record.id,
                         .agent_id = std::string(agent_id)});
  out.emplace_back(StoreUpsert{request->record});
  finish(now, out);
  return out;
}

// Rooms.

Effects Routing::room_closed(std::string_view room_id, std::string_view by_user_id, Millis now) {
  Effects out;
  Request* request = request_of_room(room_id);
  if (request == nullptr) {
    if (!by_user_id.empty()) {
      refuse(out, by_user_id, RefusalCode::kNotFound, "This room is already closed.", "", room_id,
             now);
    }
    return out;
  }
  const bool by_customer = by_user_id == request->record.customer.id;
  const bool by_agent = !request->waiting() && by_user_id == request->record.agent.id;
  if (!by_user_id.empty() && !by_customer && !by_agent) {
    refuse(out, by_user_id, RefusalCode::kNotParticipant, "You are not in this room.",
           request->record.id, room_id, now);
    return out;
  }
  out.emplace_back(StoreErase{request->record.id});
  if (request->waiting()) {
    // A requeued room closed while waiting: the consoles must drop its offer.
    out.emplace_back(RequestUpdate{.request_id = request->record.id,
                                   .status = RequestUpdate::Status::kCanceled});
  }
  out.emplace_back(CustomerStatus{.customer_id = request->record.customer.id,
                                  .request_id = request->record.id,
                                  .status = ConsultStatus::kClosed,
                                  .agent_id = request->record.agent.id,
                                  .agent_name = request->record.agent.display_name,
                                  .room_id = std::string(room_id)});
  out.emplace_back(Audit{.event = AuditEvent::kClose,
                         .at = now,
                         .request_id = request->record.id,
                         .agent_id = request->record.agent.id,
                         .reason = by_user_id.empty() ? "server"
                                   : by_customer      ? "customer"
                                                      : "agent"});
  erase_request(*request);
  finish(now, out);
  return out;
}

Effects Routing::transfer(std::string_view room_id, std::string_view by_agent_id,
                          std::optional<std::string_view> to_agent_id, Millis now) {
  Effects out;
  Request* request = request_of_room(room_id);
  if (request == nullptr) {
    refuse(out, by_agent_id, RefusalCode::kNotFound, "This room is already closed.", "", room_id,
           now);
    return out;
  }
  if (request->waiting() || request->record.agent.id != by_agent_id) {
    refuse(out, by_agent_id, RefusalCode::kNotParticipant, "This room is not yours to transfer.",
           request->record.id, room_id, now);
    return out;
  }
  Agent& from = agents_.find(by_agent_id)->second;
  if (!to_agent_id) {
    out.emplace_back(Audit{.event = AuditEvent::kTransfer,
                           .at = now,
                           .request_id = request->record.id,
                           .from_agent_id = from.ref.id,
                           .reason = "to_queue"});
    requeue(*request, std::string(kTransferred), now, out);
    finish(now, out);
    return out;
  }
  if (*to_agent_id == by_agent_id) {
    refuse(out, by_agent_id, RefusalCode::kSameAgent, "You already have this room.",
           request->record.id, room_id, now);
    return out;
  }
  Agent* to = find_agent(*to_agent_id);
  if (to == nullptr || !to->online || !to->connected) {
    refuse(out, by_agent_id, RefusalCode::kAgentUnavailable,
           "That agent is not online; pick another or transfer to the queue.", request->record.id,
           room_id, now, *to_agent_id);
    return out;
  }
  if (load(*to) >= max_rooms_of(to->ref.id)) {
    refuse(out, by_agent_id, RefusalCode::kAtCapacity,
           "That agent already has the most rooms allowed.", request->record.id, room_id, now,
           *to_agent_id);
    return out;
  }
  from.rooms.erase(request->record.room_id);
  to->rooms.insert(request->record.room_id);
  to->idle_since = now;
  request->assigned_at = now;
  request->record.agent = to->ref;
  request->record.mode = AssignMode::kManual;
  const RequestRecord& r = request->record;
  out.emplace_back(Audit{.event = AuditEvent::kTransfer,
                         .at = now,
                         .request_id = r.id,
                         .agent_id = to->ref.id,
                         .from_agent_id = from.ref.id,
                         .reason = "to_agent"});
  out.emplace_back(StoreUpsert{r});
  out.emplace_back(Assigned{.request_id = r.id,
                            .room_id = r.room_id,
                            .agent = to->ref,
                            .customer = r.customer,
                            .details = r.details,
                            .mode = AssignMode::kManual,
                            .previous_agent_id = from.ref.id,
                            .reason = std::string(kTransferred),
                            .requested_at = r.requested_at});
  CustomerStatus status = current_status(*request);
  status.reason = kTransferred;
  out.emplace_back(std::move(status));
  finish(now, out);
  return out;
}

// Time.

Effects Routing::on_timer(Millis now) {
  Effects out;
  std::vector<std::pair<Millis, Agent*>> expired;
  for (auto& [id, agent] : agents_) {
    if (agent.grace_until && *agent.grace_until <= now)
      expired.emplace_back(*agent.grace_until, &agent);
  }
  std::stable_sort(expired.begin(), expired.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& [at, agent] : expired) expire_grace(*agent, now, out);
  finish(now, out);
  if (options_.max_wait) {
    for (auto& [key, id] : queue_) {
      Request& request = requests_.at(id);
      if (request.leave_offered || request.queued_since + options_.max_wait->count() > now)
        continue;
      request.leave_offered = true;
      out.emplace_back(OfferLeaveMessage{.customer_id = request.record.customer.id,
                                         .request_id = request.record.id,
                                         .waiting_since = request.queued_since});
      out.emplace_back(Audit{.event = AuditEvent::kLeaveMessage,
                             .at = now,
                             .request_id = request.record.id,
                             .reason = "max_wait"});
    }
  }
  return out;
}

std::optional<Millis> Routing::next_deadline() const {
  std::optional<Millis> earliest;
  auto consider = [&earliest](Millis at) {
    if (!earliest || at < *earliest) earliest = at;
  };
  for (const auto& [id, agent] : agents_) {
    if (agent.grace_until) consider(*agent.grace_until);
  }
  for (const auto& [key, id] : queue_) {
    const Request& request = requests_.at(id);
    if (request.due_at && !request.due_seen) consider(*request.due_at);
    if (options_.max_wait && !request.leave_offered) {
      consider(request.queued_since + options_.max_wait->count());
    }
  }
  return earliest;
}

// Restart.

Effects Routing::restore(std::vector<RequestRecord> records, Millis now,
                         std::vector<AgentRecord> agents) {
  Effects out;
  requests_.clear();
  queue_.clear();
  rooms_.clear();
  by_customer_.clear();
  agents_.clear();
  for (const AgentRecord& record : agents) {
    if (record.agent.id.empty()) continue;
    Agent& agent = agents_[record.agent.id];
    agent.ref = record.agent;
    agent.online = record.online;
    agent.status = record.status;
    agent.idle_since = now;
    // Logged in but not (yet) seen connected: the grace a dropped connection gets.
    if (agent.online) agent.grace_until = now + options_.agent_grace.count();
  }
  // Oldest first, so that of two open requests of one customer the older one survives.
  std::stable_sort(records.begin(), records.end(), [](const auto& a, const auto& b) {
    return std::tie(a.requested_at, a.id) < std::tie(b.requested_at, b.id);
  });
  for (auto& record : records) {
    if (record.id.empty()) continue;
    if (requests_.contains(record.id)) continue;  // erasing it would erase the one kept
    if (by_customer_.contains(record.customer.id) ||
        (!record.room_id.empty() && rooms_.contains(record.room_id))) {
      out.emplace_back(StoreErase{record.id});
      continue;
    }
    std::sort(record.rejected_by.begin(), record.rejected_by.end());
    record.rejected_by.erase(std::unique(record.rejected_by.begin(), record.rejected_by.end()),
                             record.rejected_by.end());
    // An agent without a room is not a room: such a record waits again.
    if (record.room_id.empty()) record.agent = {};
    Request request;
    request.record = std::move(record);
    Request& r = requests_.emplace(request.record.id, std::move(request)).first->second;
    by_customer_.emplace(r.record.customer.id, r.record.id);
    if (!r.record.room_id.empty()) rooms_.emplace(r.record.room_id, r.record.id);
    if (r.waiting()) {
      r.queued_since = r.record.requeued_at.value_or(r.record.requested_at);
      r.due_at = due_from(now);  // agents get a full offer window once they are back
      enqueue(r);
      continue;
    }
    r.record.requeued_at.reset();
    Agent& agent = agents_[r.record.agent.id];
    if (agent.ref.id.empty()) {
      agent.ref = r.record.agent;
      agent.idle_since = now;
    }
    if (!agent.grace_until) agent.grace_until = now + options_.agent_grace.count();
    agent.rooms.insert(r.record.room_id);
    out.emplace_back(AgentReconnecting{.room_id = r.record.room_id,
                                       .request_id = r.record.id,
                                       .customer_id = r.record.customer.id,
                                       .agent_id = agent.ref.id,
                                       .until = *agent.grace_until});
  }
  finish(now, out);
  return out;
}

// Views.

std::vector<WaitingView> Routing::waiting() const {
  std::vector<WaitingView> result;
  int position = 0;
  for (const auto& [key, id] : queue_) {
    const Request& request = requests_.at(id);
    result.push_back(WaitingView{.request_id = id,
                                 .customer_id = request.record.customer.id,
                                 .customer_name = request.record.customer.display_name,
                                 .details = request.record.details,
                                 .position = ++position,
                                 .waiting_since = request.queued_since,
                                 .requeued = key.lane == 0,
                                 .rejections = request.record.rejected_by.size()});
  }
  return result;
}

std::vector<AgentView> Routing::agents() const {
  std::vector<AgentView> result;
  for (const auto& [id, agent] : agents_) {
    result.push_back(AgentView{.agent = agent.ref,
                               .online = agent.online,
                               .status = agent.status,
                               .connected = agent.connected,
                               .active_rooms = load(agent),
                               .idle_since = agent.idle_since,
                               .grace_until = agent.grace_until,
                               .max_rooms = max_rooms_of(agent.ref.id)});
  }
  return result;
}

std::vector<RoomView> Routing::rooms() const {
  std::vector<RoomView> result;
  for (const auto& [room_id, request_id] : rooms_) result.push_back(*room(room_id));
  return result;
}

std::optional<RoomView> Routing::room(std::string_view room_id) const {
  auto it = rooms_.find(room_id);
  if (it == rooms_.end()) return std::nullopt;
  const Request& request = requests_.at(it->second);
  return RoomView{.room_id = it->first,
                  .request_id = request.record.id,
                  .customer = request.record.customer,
                  .agent = request.record.agent,
                  .details = request.record.details,
                  .assigned_at = request.waiting() ? std::nullopt : request.assigned_at};
}

std::optional<CustomerStatus> Routing::customer_status(std::string_view customer_id) const {
  auto it = by_customer_.find(customer_id);
  if (it == by_customer_.end()) return std::nullopt;
  return current_status(requests_.at(it->second));
}

// Internals.

std::vector<std::string> Routing::audience(std::string_view request_id) const {
  std::vector<std::string> ids;
  const auto found = requests_.find(request_id);
  if (found == requests_.end()) return ids;
  const Request& request = found->second;
  if (!request.waiting()) {
    ids.push_back(request.record.agent.id);
    return ids;
  }
  if (options_.mode == RoutingMode::kAuto) return ids;
  // The same agents as offer() names.
  for (const auto& [id, agent] : agents_)
    if (agent.online && agent.connected && !rejected(request, id)) ids.push_back(id);
  return ids;
}

Routing::Request* Routing::find_request(std::string_view id) {
  auto it = requests_.find(id);
  return it == requests_.end() ? nullptr : &it->second;
}

Routing::Agent* Routing::find_agent(std::string_view id) {
  auto it = agents_.find(id);
  return it == agents_.end() ? nullptr : &it->second;
}

Routing::Request* Routing::request_of_room(std::string_view room_id) {
  auto it = rooms_.find(room_id);
  return it == rooms_.end() ? nullptr : find_request(it->second);
}

bool Routing::rejected(const Request& request, std::string_view agent_id) const {
  const auto& list = request.record.rejected_by;
  return std::binary_search(list.begin(), list.end(), agent_id);
}

std::optional<Millis> Routing::due_from(Millis now) const {
  switch (options_.mode) {
    case RoutingMode::kHybrid:
      return now + options_.auto_assign_after.count();
    case RoutingMode::kAuto:
      return now;
    case RoutingMode::kManual:
      return std::nullopt;
  }
  return std::nullopt;
}

std::string Routing::make_request_id() {
  if (options_.new_request_id) return options_.new_request_id();
  std::string id;
  do {
    id = "request-" + std::to_string(++request_counter_);
  } while (requests_.contains(id));
  return id;
}

std::string Routing::make_room_id() {
  if (options_.new_room_id) return options_.new_room_id();
  std::string id;
  do {
    id = "room-" + std::to_string(++room_counter_);
  } while (rooms_.contains(id));
  return id;
}

void Routing::enqueue(Request& request) {
  const auto& r = request.record;
  request.key = QueueKey{.lane = r.requeued_at ? 0 : 1,
                         .lane_time = r.requeued_at.value_or(r.requested_at),
                         .requested_at = r.requested_at,
                         .seq = next_seq_++};
  request.due_seen = false;
  request.no_agent_audited = false;
  request.leave_offered = false;
  request.sent_position = 0;
  queue_.emplace(request.key, r.id);
}

void Routing::dequeue(Request& request) {
  queue_.erase(request.key);
  request.due_at.reset();
  request.sent_position = 0;
  request.pending_reason.clear();
}

void Routing::erase_request(Request& request) {
  if (request.waiting()) {
    dequeue(request);
  } else if (Agent* agent = find_agent(request.record.agent.id)) {
    agent->rooms.erase(request.record.room_id);
  }
  if (!request.record.room_id.empty()) rooms_.erase(request.record.room_id);
  by_customer_.erase(request.record.customer.id);
  requests_.erase(request.record.id);  // `request` dangles from here on
}

std::optional<CandidateVerdict> Routing::skip_reason(const Request& request,
                                                     const Agent& agent) const {
  if (!agent.online) return CandidateVerdict::kOffline;
  if (!agent.connected) return CandidateVerdict::kDisconnected;
  if (rejected(request, agent.ref.id)) return CandidateVerdict::kRejected;
  if (agent.status == AgentStatus::kAway) return CandidateVerdict::kAway;
  if (load(agent) >= max_rooms_of(agent.ref.id)) return CandidateVerdict::kAtCapacity;
  return std::nullopt;
}

Routing::Agent* Routing::pick(const Request& request) {
  Agent* best = nullptr;
  // Fewest rooms, then longest idle, then agent id (agents_ is ordered by id).
  for (auto& [id, agent] : agents_) {
    if (skip_reason(request, agent)) continue;
    if (best == nullptr ||
        std::pair(load(agent), agent.idle_since) < std::pair(load(*best), best->idle_since)) {
      best = &agent;
    }
  }
  return best;
}

std::vector<AuditCandidate> Routing::explain(const Request& request, const Agent* picked) const {
  std::vector<AuditCandidate> candidates;
  for (const auto& [id, agent] : agents_) {
    AuditCandidate candidate{.agent_id = id, .active_rooms = load(agent)};
    if (auto skipped = skip_reason(request, agent)) {
      candidate.verdict = *skipped;
    } else if (&agent == picked || picked == nullptr) {
      candidate.verdict = CandidateVerdict::kPicked;
    } else if (load(agent) > load(*picked)) {
      candidate.verdict = CandidateVerdict::kBusier;
    } else if (agent.idle_since > picked->idle_since) {
      candidate.verdict = CandidateVerdict::kIdleShorter;
    } else {
      candidate.verdict = CandidateVerdict::kLostTie;
    }
    candidates.push_back(std::move(candidate));
  }
  return candidates;
}

void Routing::offer(Request& request, Millis now, Effects& out) {
  if (options_.mode == RoutingMode::kAuto) return;
  OfferRequest offer{.request_id = request.record.id,
                     .customer = request.record.customer,
                     .details = request.record.details,
                     .waiting_since = request.queued_since,
                     .reason = request.requeue_reason};
  Audit audit{.event = AuditEvent::kOffer,
              .at = now,
              .request_id = request.record.id,
              .reason = request.requeue_reason.empty() ? "new" : request.requeue_reason};
  for (const auto& [id, agent] : agents_) {
    AuditCandidate candidate{.agent_id = id, .active_rooms = load(agent)};
    if (!agent.online) {
      candidate.verdict = CandidateVerdict::kOffline;
    } else if (!agent.connected) {
      candidate.verdict = CandidateVerdict::kDisconnected;
    } else if (rejected(request, id)) {
      candidate.verdict = CandidateVerdict::kRejected;
    } else {
      offer.recipients.push_back(id);
    }
    audit.candidates.push_back(std::move(candidate));
  }
  out.emplace_back(std::move(audit));
  out.emplace_back(std::move(offer));
}

void Routing::redeliver_offers(const Agent& agent, Effects& out) {
  if (options_.mode == RoutingMode::kAuto) return;
  for (const auto& [key, id] : queue_) {
    const Request& request = requests_.at(id);
    if (rejected(request, agent.ref.id)) continue;
    out.emplace_back(OfferRequest{.request_id = id,
                                  .customer = request.record.customer,
                                  .details = request.record.details,
                                  .waiting_since = request.queued_since,
                                  .reason = request.requeue_reason,
                                  .recipients = {agent.ref.id}});
  }
}

void Routing::assign(Request& request, Agent& agent, AssignMode mode, std::string audit_reason,
                     std::vector<AuditCandidate> candidates, Millis now, Effects& out) {
  assert(request.waiting());
  dequeue(request);
  RequestRecord& r = request.record;
  if (r.room_id.empty()) {
    r.room_id = make_room_id();
    rooms_.emplace(r.room_id, r.id);
  }
  r.agent = agent.ref;
  r.mode = mode;
  r.requeued_at.reset();
  agent.rooms.insert(r.room_id);
  agent.idle_since = now;
  request.assigned_at = now;
  out.emplace_back(
      Audit{.event = mode == AssignMode::kAuto ? AuditEvent::kAutoAssign : AuditEvent::kAccept,
            .at = now,
            .request_id = r.id,
            .agent_id = agent.ref.id,
            .from_agent_id = request.previous_agent_id,
            .reason = std::move(audit_reason),
            .candidates = std::move(candidates)});
  out.emplace_back(StoreUpsert{r});
  out.emplace_back(Assigned{.request_id = r.id,
                            .room_id = r.room_id,
                            .agent = agent.ref,
                            .customer = r.customer,
                            .details = r.details,
                            .mode = mode,
                            .previous_agent_id = request.previous_agent_id,
                            .reason = request.requeue_reason,
                            .requested_at = r.requested_at});
  out.emplace_back(current_status(request));
  out.emplace_back(RequestUpdate{
      .request_id = r.id, .status = RequestUpdate::Status::kAssigned, .agent_id = agent.ref.id});
  request.previous_agent_id.clear();
  request.requeue_reason.clear();
}

void Routing::requeue(Request& request, const std::string& reason, Millis now, Effects& out) {
  assert(!request.waiting());
  RequestRecord& r = request.record;
  if (Agent* agent = find_agent(r.agent.id)) agent->rooms.erase(r.room_id);
  request.previous_agent_id = r.agent.id;
  r.agent = {};
  r.requeued_at = now;
  request.queued_since = now;
  request.due_at = due_from(now);
  // A room whose agent never came back had its offer window when it was first asked for, and its
  // customer has waited out the grace period since: it is due at once, so that being at the head of
  // the queue means being served first (a fresh window would let older due requests behind it
  // take the next free agent).
  if (reason == kGraceExpired && request.due_at) request.due_at = now;
  request.requeue_reason = reason;
  request.pending_reason = reason;
  enqueue(request);
  out.emplace_back(StoreUpsert{r});
  out.emplace_back(Requeued{.request_id = r.id,
                            .room_id = r.room_id,
                            .customer_id = r.customer.id,
                            .previous_agent_id = request.previous_agent_id,
                            .reason = reason});
  out.emplace_back(Audit{.event = AuditEvent::kRequeue,
                         .at = now,
                         .request_id = r.id,
                         .from_agent_id = request.previous_agent_id,
                         .reason = reason});
  offer(request, now, out);
}

void Routing::expire_grace(Agent& agent, Millis now, Effects& out) {
  agent.grace_until.reset();
  if (agent.online) {
    agent.online = false;
    out.emplace_back(StoreAgent{record_of(agent)});
  }
  // Oldest request first, so the rooms keep their relative order at the head of the queue.
  std::vector<Request*> held;
  for (const auto& room_id : agent.rooms) held.push_back(request_of_room(room_id));
  std::stable_sort(held.begin(), held.end(), [](const Request* a, const Request* b) {
    return std::tie(a->record.requested_at, a->record.id) <
           std::tie(b->record.requested_at, b->record.id);
  });
  for (Request* request : held) requeue(*request, std::string(kGraceExpired), now, out);
}

AgentRecord Routing::record_of(const Agent& agent) {
  return AgentRecord{.agent = agent.ref, .online = agent.online, .status = agent.status};
}

void Routing::reconnect(Agent& agent, Effects& out) {
  agent.connected = true;
  if (!agent.grace_until) return;
  agent.grace_until.reset();
  for (const auto& room_id : agent.rooms) {
    const Request& request = *request_of_room(room_id);
    out.emplace_back(AgentReconnected{.room_id = room_id,
                                      .request_id = request.record.id,
                                      .customer_id = request.record.customer.id,
                                      .agent_id = agent.ref.id});
  }
}

void Routing::refuse(Effects& out, std::string_view user_id, RefusalCode code, std::string message,
                     std::string_view request_id, std::string_view room_id, Millis now,
                     std::string_view to_agent_id) {
  out.emplace_back(Refusal{.user_id = std::string(user_id),
                           .code = code,
                           .message = std::move(message),
                           .request_id = std::string(request_id),
                           .room_id = std::string(room_id),
                           .to_agent_id = std::string(to_agent_id)});
  out.emplace_back(Audit{.event = AuditEvent::kRefusal,
                         .at = now,
                         .request_id = std::string(request_id),
                         .agent_id = std::string(user_id),
                         .reason = std::string(to_string(code))});
}

CustomerStatus Routing::current_status(const Request& request) const {
  const RequestRecord& r = request.record;
  CustomerStatus status{.customer_id = r.customer.id, .request_id = r.id, .room_id = r.room_id};
  if (request.waiting()) {
    status.status = ConsultStatus::kWaiting;
    int position = 1;
    for (auto it = queue_.begin(); it != queue_.end() && it->first < request.key; ++it) ++position;
    status.position = position;
  } else {
    status.status =
        r.mode == AssignMode::kAuto ? ConsultStatus::kAutoAssigned : ConsultStatus::kConnected;
    status.agent_id = r.agent.id;
    status.agent_name = r.agent.display_name;
    auto agent = agents_.find(r.agent.id);
    status.agent_reconnecting = agent != agents_.end() && agent->second.grace_until.has_value();
  }
  return status;
}

void Routing::drain(Millis now, Effects& out) {
  for (auto it = queue_.begin(); it != queue_.end();) {
    Request& request = requests_.at(it->second);
    ++it;  // assign() removes the current entry
    if (!request.due_at || now < *request.due_at) continue;
    request.due_seen = true;
    // The candidate list is only built for an audit line: drain runs on every call.
    if (Agent* agent = pick(request)) {
      const char* reason =
          options_.mode == RoutingMode::kAuto ? "auto_mode" : "offer_window_passed";
      assign(request, *agent, AssignMode::kAuto, reason, explain(request, agent), now, out);
    } else if (!request.no_agent_audited) {
      request.no_agent_audited = true;
      out.emplace_back(Audit{.event = AuditEvent::kNoAgent,
                             .at = now,
                             .request_id = request.record.id,
                             .reason = "no_eligible_agent",
                             .candidates = explain(request, nullptr)});
    }
  }
}

void Routing::sync_positions(Effects& out) {
  int position = 0;
  for (auto& [key, id] : queue_) {
    Request& request = requests_.at(id);
    ++position;
    if (request.sent_position == position && request.pending_reason.empty()) continue;
    request.sent_position = position;
    out.emplace_back(CustomerStatus{.customer_id = request.record.customer.id,
                                    .request_id = id,
                                    .status = ConsultStatus::kWaiting,
                                    .position = position,
                                    .room_id = request.record.room_id,
                                    .reason = std::move(request.pending_reason)});
    request.pending_reason.clear();
  }
}

void Routing::finish(Millis now, Effects& out) {
  drain(now, out);
  sync_positions(out);
}

}  // namespace aicc::chat
