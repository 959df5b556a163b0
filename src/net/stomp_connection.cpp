#include "net/stomp_connection.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/execution/context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/query.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <optional>
#include <utility>

#include "auth/destination_policy.hpp"
#include "broker/app_router.hpp"
#include "broker/destination.hpp"
#include "broker/domain_error.hpp"
#include "broker/registry.hpp"
#include "net/hub.hpp"
#include "util/random.hpp"
#include "util/time.hpp"

namespace aicc::net {
namespace {

namespace asio = boost::asio;
using std::chrono::milliseconds;

// Agents' presence drives routing; customers' their waiting requests and rooms.
Hub::Presence presence_of(auth::Role role) {
  switch (role) {
    case auth::Role::kAgent:
      return Hub::Presence::kAgent;
    case auth::Role::kCustomer:
      return Hub::Presence::kCustomer;
    default:
      return Hub::Presence::kNone;
  }
}
using SteadyClock = std::chrono::steady_clock;

stomp::EngineOptions engine_options(const config::Config& config) {
  const config::StompConfig& s = config.stomp;
  stomp::EngineOptions o;
  o.limits.max_frame_bytes = s.max_frame_bytes;
  o.limits.max_headers = s.max_headers;
  o.limits.max_header_bytes = s.max_header_bytes;
  o.heartbeat_send = milliseconds{s.heartbeat_send_ms};
  o.heartbeat_receive = milliseconds{s.heartbeat_receive_ms};
  o.heartbeat_grace = s.heartbeat_grace;
  o.connect_timeout = milliseconds{s.connect_timeout_ms};
  o.max_subscriptions = s.max_subscriptions;
  o.max_transaction_frames = s.max_transaction_frames;
  o.max_unacked = s.max_unacked;
  o.server_name = "aicc-chat/0.1";
  return o;
}

// Short and unique across nodes and restarts (a random prefix per process, then a counter), so a
// session id found in one node's log names one connection: "c3fa9e1-2b".
std::string next_connection_id() {
  static const std::string process_prefix = "c" + util::random_hex(3) + "-";
  static std::atomic<std::uint64_t> counter{0};
  char text[32];
  const auto n = counter.fetch_add(1, std::memory_order_relaxed) + 1;
  std::snprintf(text, sizeof text, "%llx", static_cast<unsigned long long>(n));
  return process_prefix + text;
}

}  // namespace

StompConnection::StompConnection(Services& services, asio::any_io_executor executor, Transport kind,
                                 std::string remote_address, HandshakeTicket handshake_ticket)
    : services_(services),
      executor_(std::move(executor)),
      context_key_(&asio::query(executor_, asio::execution::context)),
      kind_(kind),
      remote_address_(std::move(remote_address)),
      handshake_ticket_(std::move(handshake_ticket)),
      id_(next_connection_id()),
      engine_(engine_options(services.config), *this, id_, SteadyClock::now()),
      send_allowance_(services.config.limits.connection, SteadyClock::now()),
      timer_(executor_),
      opened_at_(SteadyClock::now()) {}

StompConnection::~StompConnection() = default;

void StompConnection::start(ConnectionTransport& transport) {
  transport_ = &transport;
  services_.hub.attach(shared_from_this());
  services_.metrics.connection_opened(kind_);
  spdlog::info("connection opened id={} transport={} remote={}", id_, to_string(kind_),
               remote_address_);
  schedule_timer();
}

void StompConnection::on_data(std::string_view bytes) {
  if (transport_closed_) return;
  services_.metrics.bytes_in(bytes.size());
  const bool was_connected = engine_.connected();
  engine_.on_data(bytes, SteadyClock::now());
  // CONNECT changes the deadlines from the connect timeout to the heart-beat intervals.
  if (was_connected != engine_.connected()) schedule_timer();
}

void StompConnection::deliver_async(std::string subscription_id,
                                    std::shared_ptr<const stomp::Message> message) {
  asio::post(executor_,
             [self = shared_from_this(), subscription_id = std::move(subscription_id),
              message = std::move(message)] { self->deliver(subscription_id, message); });
}

void StompConnection::deliver(const std::string& subscription_id,
                              const std::shared_ptr<const stomp::Message>& message) {
  deliver(subscription_id, message, SteadyClock::now());
}

void StompConnection::deliver(const std::string& subscription_id,
                              const std::shared_ptr<const stomp::Message>& message,
                              SteadyClock::time_point now) {
  if (transport_closed_) return;
  if (!replays_.empty()) {
    if (auto it = replays_.find(subscription_id); it != replays_.end()) {
      it->second.cursor.on_live(message);
      return;
    }
  }
  if (message->seq == 0) {
    engine_.deliver(subscription_id, message, now);
    return;
  }
  if (!awaiting_position_.empty()) {
    if (auto it = awaiting_position_.find(subscription_id); it != awaiting_position_.end()) {
      if (it->second.held.size() < ReplayCursor::Limits{}.max_held_messages) {
        it->second.held.push_back(message);
      } else {
        it->second.overflowed = true;
      }
      return;
    }
  }
  deliver_in_order(subscription_id, message, now);
}

void StompConnection::on_stream_position(const std::string& subscription_id, std::uint64_t serial,
                                         std::optional<std::uint64_t> last_seq) {
  auto it = awaiting_position_.find(subscription_id);
  if (transport_closed_ || it == awaiting_position_.end() || it->second.serial != serial) return;
  AwaitingPosition awaiting = std::move(it->second);
  awaiting_position_.erase(it);
  // Its RECEIPT now: whatever the client sends after it is stored past this position.
  engine_.subscription_ready(subscription_id);
  const auto now = SteadyClock::now();
  if (last_seq && awaiting.overflowed && services_.replay) {
    // More came than were held: everything after the position is read back from the store, the
    // held messages going to the catch-up as live ones (each delivered once).
    auto replay = replays_.insert_or_assign(
        subscription_id, Replay{++next_replay_serial_, awaiting.destination,
                                ReplayCursor(*last_seq, ReplayCursor::Limits{})});
    for (const auto& message : awaiting.held) replay.first->second.cursor.on_live(message);
    if (read_replay_page(subscription_id)) return;
    replays_.erase(subscription_id);
  }
  // Unknown (the read failed): the first message will set the position, as without a store.
  if (last_seq) stream_last_[subscription_id] = *last_seq;
  for (const auto& message : awaiting.held) deliver(subscription_id, message, now);
}

void StompConnection::deliver_in_order(const std::string& subscription_id,
                                       const std::shared_ptr<const stomp::Message>& message,
                                       SteadyClock::time_point now) {
  auto [it, first] = stream_last_.try_emplace(subscription_id, message->seq);
  std::uint64_t& last = it->second;
  if (first || message->seq == last + 1) {
    last = message->seq;
    engine_.deliver(subscription_id, message, now);
    return;
  }
  if (message->seq <= last) return;  // delivered already (by a replay, or twice by the bus)
  // A gap: the messages before this one are in the store. Caught up from there, this one held
  // meanwhile; the replay goes live (and records the new last seq) once it reached the end.
  if (!services_.replay) {
    last = message->seq;
    engine_.deliver(subscription_id, message, now);
    return;
  }
  const std::uint64_t after = last;
  stream_last_.erase(it);
  auto replay = replays_.insert_or_assign(subscription_id,
                                          Replay{++next_replay_serial_, message->destination,
                                                 ReplayCursor(after, ReplayCursor::Limits{})});
  replay.first->second.cursor.on_live(message);
  if (!read_replay_page(subscription_id)) {
    // Not a stream the store can replay: deliver as it comes.
    replays_.erase(subscription_id);
    stream_last_[subscription_id] = message->seq;
    engine_.deliver(subscription_id, message, now);
  }
}

void StompConnection::catch_up_async(std::string subscription_id, std::string destination) {
  asio::post(executor_, [self = shared_from_this(), subscription_id = std::move(subscription_id),
                         destination = std::move(destination)] {
    if (self->transport_closed_ || !self->services_.replay) return;
    if (self->replays_.contains(subscription_id)) return;  // reads to the end already
    auto it = self->stream_last_.find(subscription_id);
    if (it == self->stream_last_.end()) return;  // not a stream, or no position yet
    const std::uint64_t after = it->second;
    self->stream_last_.erase(it);
    self->replays_.insert_or_assign(subscription_id,
                                    Replay{++self->next_replay_serial_, destination,
                                           ReplayCursor(after, ReplayCursor::Limits{})});
    if (!self->read_replay_page(subscription_id)) {
      self->replays_.erase(subscription_id);
      self->stream_last_[subscription_id] = after;
    }
  });
}

void StompConnection::shutdown_async(std::string reason) {
  asio::post(executor_, [self = shared_from_this(), reason = std::move(reason)] {
    if (!self->transport_closed_) self->engine_.fail(reason);
  });
}

std::size_t StompConnection::take_output(std::vector<stomp::Outbound>& into, std::size_t max_bytes,
                                         std::size_t max_items) {
  std::size_t taken = 0;
  std::size_t items = 0;
  while (!outbound_.empty() &&
         (taken == 0 || (taken + outbound_.front().size() <= max_bytes && items < max_items))) {
    ++items;
    taken += outbound_.front().size();
    into.push_back(std::move(outbound_.front()));
    outbound_.pop_front();
  }
  outbound_bytes_ -= taken;
  services_.metrics.bytes_out(taken);
  if (taken > 0 && !replays_.empty()) schedule_replay_pump();
  return taken;
}

void StompConnection::on_transport_closed(std::string_view reason) {
  if (transport_closed_) return;
  transport_closed_ = true;
  transport_ = nullptr;
  engine_.on_transport_closed();
  outbound_.clear();
  outbound_bytes_ = 0;
  timer_.cancel();
  services_.hub.detach(this);
  services_.metrics.connection_closed(kind_);
  const auto lifetime = std::chrono::duration_cast<milliseconds>(SteadyClock::now() - opened_at_);
  spdlog::info(
      "connection closed id={} transport={} remote={} user={} reason=\"{}\" duration_ms={}", id_,
      to_string(kind_), remote_address_, engine_.identity().user_id,
      close_requested_ ? close_reason_ : std::string(reason), lifetime.count());
}

util::Result<stomp::Identity, std::string> StompConnection::authenticate(
    const stomp::Frame& connect) {
  // First match wins: Authorization header, passcode header, then the handshake URL's ticket.
  std::string_view token;
  const std::string* authorization = connect.find("Authorization");
  if (authorization == nullptr) authorization = connect.find("authorization");
  if (authorization != nullptr) {
    token = auth::bearer_token(*authorization);
    if (token.empty()) {
      services_.metrics.error("auth");
      return util::unexpected(std::string("Authorization header is not a Bearer token"));
    }
  } else if (const std::string* passcode = connect.find("passcode")) {
    token = *passcode;
  }
  std::optional<auth::Principal> principal;
  if (!token.empty()) {
    auto verified = services_.tokens.verify_access(token, util::unix_seconds());
    if (!verified) {
      services_.metrics.error("auth");
      return util::unexpected(verified.error());
    }
    principal = std::move(verified.value());
  } else if (handshake_ticket_.state != HandshakeTicket::State::kNone) {
    const HandshakeTicket ticket = std::exchange(handshake_ticket_, {});
    if (ticket.state == HandshakeTicket::State::kUnavailable) {
      services_.metrics.error("auth");
      return util::unexpected(std::string(
          "the ticket could not be checked (the state shared by the nodes is out of reach); "
          "ask for a new ticket and retry"));
    }
    if (ticket.state != HandshakeTicket::State::kRedeemed) {
      services_.metrics.error("auth");
      return util::unexpected(std::string("invalid or expired ticket"));
    }
    principal = *ticket.principal;
  } else {
    services_.metrics.error("auth");
    return util::unexpected(std::string("missing credentials"));
  }
  const auto max_sessions = static_cast<std::size_t>(services_.config.limits.sessions_per_user);
  if (!services_.hub.bind_user(principal->user_id, principal->login_id,
                               presence_of(principal->role), shared_from_this(), max_sessions)) {
    services_.metrics.error("too_many_sessions");
    return util::unexpected("too many sessions: this user already holds " +
                            std::to_string(max_sessions) + " (limits.sessions-per-user)");
  }
  login_id_ = principal->login_id;
  // A login revoked between the check above and the binding found no session here to end.
  if (services_.tokens.is_login_revoked(login_id_)) {
    services_.metrics.error("auth");
    return util::unexpected(std::string("token revoked"));
  }
  set_credential_deadline(principal->expires_at);
  // Links the session id (CONNECTED's session header) to the user in the log.
  spdlog::info("connection authenticated id={} user={} role={}", id_, principal->user_id,
               auth::to_string(principal->role));
  return stomp::Identity{principal->user_id, std::string(auth::to_string(principal->role)),
                         principal->name, principal->expires_at};
}

std::string StompConnection::check_credential() const {
  const std::int64_t expires_at = engine_.identity().expires_at;
  if (expires_at != 0 && util::unix_seconds() >= expires_at + services_.config.jwt.clock_skew) {
    services_.metrics.error("auth");
    return "authentication failed: token expired";
  }
  return {};
}

bool StompConnection::refresh_credential(const stomp::Frame& frame) {
  const auto& identity = engine_.identity();
  boost::system::error_code error;
  const boost::json::value body = boost::json::parse(frame.body, error);
  const boost::json::string* token = nullptr;
  if (!error && body.is_object()) {
    if (const auto* field = body.as_object().if_contains("accessToken")) token = field->if_string();
  }
  if (token == nullptr) {
    broker::send_domain_error(services_.hub, identity.user_id, "bad_request",
                              "body must be a JSON object with a string \"accessToken\"", frame);
    return false;
  }
  auto verified = services_.tokens.verify_access(std::string_view(token->data(), token->size()),
                                                 util::unix_seconds());
  if (!verified) {
    broker::send_domain_error(services_.hub, identity.user_id, "invalid_token", verified.error(),
                              frame);
    return false;
  }
  if (verified->user_id != identity.user_id) {
    broker::send_domain_error(services_.hub, identity.user_id, "invalid_token",
                              "the token belongs to another user", frame);
    return false;
  }
  if (verified->login_id != login_id_) {
    // Already one of the user's sessions: a new login of the same user is never over the cap.
    services_.hub.bind_user(verified->user_id, verified->login_id, presence_of(verified->role),
                            shared_from_this(),
                            static_cast<std::size_t>(services_.config.limits.sessions_per_user));
    login_id_ = verified->login_id;
  }
  engine_.replace_identity(stomp::Identity{verified->user_id,
                                           std::string(auth::to_string(verified->role)),
                                           verified->name, verified->expires_at});
  set_credential_deadline(verified->expires_at);
  schedule_timer();
  return true;
}

std::string StompConnection::registry_key(const std::string& destination) const {
  if (broker::classify(destination).kind == broker::DestinationKind::kUserQueue) {
    return broker::user_key(engine_.identity().user_id, broker::strip_user_prefix(destination));
  }
  return destination;
}

std::string StompConnection::subscribe(const std::string& id, const std::string& destination,
                                       stomp::AckMode mode, const stomp::Frame& frame) {
  if (std::string refusal = check_credential(); !refusal.empty()) return refusal;
  const broker::Classified checked = broker::check_subscribe(destination);
  if (!checked.ok) {
    services_.metrics.error("forbidden_destination");
    return "invalid destination: " + checked.error;
  }
  // Fail-closed: only what a feature registered can be subscribed to, by the roles it named.
  const broker::SubscribeRoute* route = services_.app.find_subscription(destination);
  if (route == nullptr) {
    services_.metrics.error("unknown_destination");
    return "unknown destination: nothing is published here";
  }
  const auto role = auth::parse_role(engine_.identity().role);
  if (!role || !route->roles.allows(*role)) {
    services_.metrics.error("forbidden_destination");
    return "forbidden destination: role " + engine_.identity().role + " may not subscribe here";
  }
  if (route->guard) {
    if (std::string refusal = route->guard(engine_.identity().user_id, destination);
        !refusal.empty()) {
      services_.metrics.error("forbidden_destination");
      return "forbidden destination: " + refusal;
    }
  }
  std::optional<std::uint64_t> since;
  if (const std::string* header = frame.find("since-seq")) {
    std::uint64_t value = 0;
    const auto [end, error] =
        std::from_chars(header->data(), header->data() + header->size(), value);
    if (error != std::errc{} || end != header->data() + header->size())
      return "invalid since-seq header";
    since = value;
  }
  // Registered before the replay is read, so nothing published in between can be missed; what
  // both the replay and the live stream carry is dropped by seq in finish_replay().
  services_.hub.subscribe(registry_key(destination), shared_from_this(), id,
                          checked.kind == broker::DestinationKind::kQueue);
  if (route->guard) {
    // Checked again once registered: a room handed to another agent between the first check and
    // the registration is refused here, or its owner's removal (which follows the change of
    // members) has already taken this registration away.
    if (std::string refusal = route->guard(engine_.identity().user_id, destination);
        !refusal.empty()) {
      services_.hub.unsubscribe(registry_key(destination), shared_from_this(), id);
      services_.metrics.error("forbidden_destination");
      return "forbidden destination: " + refusal;
    }
  }
  stream_last_.erase(id);
  awaiting_position_.erase(id);
  if (!since && services_.stream_position) {
    const std::uint64_t serial = ++next_replay_serial_;
    awaiting_position_[id] = AwaitingPosition{serial, destination, {}, false};
    auto done = [weak = weak_from_this(), id, serial](std::optional<std::uint64_t> last_seq) {
      auto self = weak.lock();
      if (!self) return;
      asio::post(self->executor_,
                 [self, id, serial, last_seq] { self->on_stream_position(id, serial, last_seq); });
    };
    if (!services_.stream_position(destination, std::move(done))) awaiting_position_.erase(id);
  }
  if (since && services_.replay) {
    replays_.insert_or_assign(id, Replay{++next_replay_serial_, destination,
                                         ReplayCursor(*since, ReplayCursor::Limits{})});
    // Not a sequenced stream: since-seq means nothing there, the subscription is live at once.
    if (!read_replay_page(id)) replays_.erase(id);
  }
  return {};
}

bool StompConnection::read_replay_page(const std::string& subscription_id) {
  auto it = replays_.find(subscription_id);
  if (it == replays_.end()) return true;
  Replay& replay = it->second;
  const std::optional<std::uint64_t> after = replay.cursor.start_read();
  if (!after) return true;
  auto done = [weak = weak_from_this(), subscription_id, serial = replay.serial](
                  std::vector<std::shared_ptr<const stomp::Message>> page, bool ok) {
    auto self = weak.lock();
    if (!self) return;
    asio::post(self->executor_,
               [self, subscription_id, serial, page = std::move(page), ok]() mutable {
                 self->on_replay_page(subscription_id, serial, std::move(page), ok);
               });
  };
  return services_.replay(replay.destination, *after, replay.cursor.limits().page_size,
                          std::move(done));
}

void StompConnection::on_replay_page(const std::string& subscription_id, std::uint64_t serial,
                                     std::vector<std::shared_ptr<const stomp::Message>> page,
                                     bool ok) {
  auto it = replays_.find(subscription_id);
  // The subscription ended, or was made again with the same id, while the page was read.
  if (transport_closed_ || it == replays_.end() || it->second.serial != serial) return;
  it->second.cursor.on_page(std::move(page), ok);
  pump_replay(subscription_id);
}

void StompConnection::schedule_replay_pump() {
  if (replay_pump_posted_) return;
  replay_pump_posted_ = true;
  // Posted, not run in take_output(): a transport that drains in a loop (SockJS moves everything
  // into its own queue) would otherwise take the whole replay at once.
  asio::post(executor_, [self = shared_from_this()] {
    self->replay_pump_posted_ = false;
    if (self->transport_closed_) return;
    std::vector<std::string> ids;
    ids.reserve(self->replays_.size());
    for (const auto& [id, replay] : self->replays_) ids.push_back(id);
    for (const std::string& id : ids) self->pump_replay(id);
  });
}

void StompConnection::pump_replay(const std::string& subscription_id) {
  auto it = replays_.find(subscription_id);
  if (it == replays_.end()) return;
  const std::uint64_t serial = it->second.serial;
  // Replayed messages fill the queue to half its bound at most: the other half is for live
  // traffic (other subscriptions, receipts), and the rest of the replay waits in the store.
  const std::size_t low_water = services_.config.stomp.outbound_queue_bytes / 2;
  const auto now = SteadyClock::now();
  while (!transport_closed_ && !slow_ && !close_requested_) {
    const std::shared_ptr<const stomp::Message> message = it->second.cursor.peek();
    if (!message) break;
    // A MESSAGE head (subscription, message-id, ack) is far below 128 bytes.
    const std::size_t size = message->tails[0].size() + 128;
    if (outbound_bytes_ > 0 && outbound_bytes_ + size > low_water) return;  // take_output() resumes
    it->second.cursor.pop();
    engine_.deliver(subscription_id, message, now);
    // Delivering can end the subscription or the connection (too many unacknowledged messages).
    it = replays_.find(subscription_id);
    if (it == replays_.end() || it->second.serial != serial) return;
  }
  if (transport_closed_ || slow_ || close_requested_) return;
  ReplayCursor& cursor = it->second.cursor;
  if (cursor.finished()) {
    // Kept also when it is 0 (an empty room): a message past a gap must still be noticed.
    stream_last_[subscription_id] = cursor.last_seq();
    if (cursor.dropped_events() > 0) {
      spdlog::info("replay id={} destination={}: {} live events dropped while catching up", id_,
                   it->second.destination, cursor.dropped_events());
    }
    replays_.erase(it);  // live from here on
    return;
  }
  std::string_view failure = cursor.failure();
  if (failure.empty() && !read_replay_page(subscription_id))
    failure = "the destination can no longer be read";
  if (failure.empty()) return;
  // Going live now would leave a gap: the connection ends, and the client resumes with since-seq.
  spdlog::warn("replay failed id={} user={} destination={} after seq {}: {}", id_,
               engine_.identity().user_id, it->second.destination, cursor.last_seq(), failure);
  services_.metrics.error("replay_failed");
  replays_.erase(it);
  engine_.fail("replay failed",
               "the stream's history could not be read; reconnect and SUBSCRIBE again with "
               "since-seq");
}

void StompConnection::unsubscribe(const std::string& id, const std::string& destination) {
  replays_.erase(id);
  stream_last_.erase(id);
  awaiting_position_.erase(id);
  services_.hub.unsubscribe(registry_key(destination), shared_from_this(), id);
}

stomp::SendResult StompConnection::send(const stomp::Frame& frame, std::uint64_t ticket) {
  using stomp::SendResult;
  const std::string_view destination = frame.get("destination");
  if (std::string refusal = check_credential(); !refusal.empty()) return SendResult::fault(refusal);
  const auto now = SteadyClock::now();
  if (const auto wait = send_allowance_.admit(frame.body.size(), now); wait.count() > 0) {
    return rate_limited(frame, wait);
  }
  const broker::Classified checked = broker::check_send(destination);
  if (!checked.ok) {
    services_.metrics.error("forbidden_destination");
    return SendResult::fault("invalid destination: " + checked.error);
  }
  // Answered by the connection itself (it replaces the connection's credential); every role.
  if (destination == "/app/auth.refresh") {
    return refresh_credential(frame) ? SendResult::done() : SendResult::refused();
  }
  const broker::SendRoute* route = services_.app.find(destination);
  if (route == nullptr) {
    // Not a protocol fault: clients written for other servers announce themselves on
    // destinations this one lacks, and closing would end their whole session.
    services_.metrics.error("unknown_destination");
    broker::send_domain_error(services_.hub, engine_.identity().user_id, "unknown_destination",
                              "no handler for " + std::string(destination), frame);
    return SendResult::refused();
  }
  const auto role = auth::parse_role(engine_.identity().role);
  if (!role || !route->roles.allows(*role)) {
    services_.metrics.error("forbidden_destination");
    return SendResult::fault("forbidden destination: role " + engine_.identity().role +
                             " may not send here");
  }
  if (services_.user_limits != nullptr) {
    if (const auto wait = services_.user_limits->admit(engine_.identity().user_id, route->rate,
                                                       frame.body.size(), now);
        wait.count() > 0) {
      return rate_limited(frame, wait);
    }
  }
  rate_refusals_ = 0;
  bool deferred = false;
  auto defer = [this, &deferred, ticket] {
    deferred = true;
    return broker::SendCompletion(
        [weak = weak_from_this(), executor = executor_, ticket](bool stored) {
          asio::post(executor, [weak, ticket, stored] {
            if (auto self = weak.lock()) self->settle_send(ticket, stored);
          });
        });
  };
  const broker::AppResult result = route->handler(broker::AppMessage{
      engine_.identity(), id_, destination, frame.get("content-type"), frame.body, frame, defer});
  switch (result.kind) {
    case broker::AppResult::Kind::kFault:
      return SendResult::fault(result.reason);
    case broker::AppResult::Kind::kRefused:
      return SendResult::refused();
    case broker::AppResult::Kind::kDone:
      break;
  }
  return deferred ? SendResult::pending() : SendResult::done();
}

stomp::SendResult StompConnection::rate_limited(const stomp::Frame& frame,
                                                std::chrono::milliseconds wait) {
  services_.metrics.error("rate_limited");
  if (++rate_refusals_ >= services_.config.limits.abuse_refusals) {
    spdlog::warn("connection {} of user {} closed: {} SENDs in a row over the rate limit", id_,
                 engine_.identity().user_id, rate_refusals_);
    return stomp::SendResult::fault(
        "rate limit exceeded repeatedly: too many SENDs were refused; slow down and reconnect");
  }
  broker::send_domain_error(
      services_.hub, engine_.identity().user_id, "rate_limited",
      "too many messages; send again in " + std::to_string(wait.count()) + " ms", frame,
      wait.count());
  return stomp::SendResult::refused();
}

void StompConnection::settle_send(std::uint64_t ticket, bool stored) {
  if (transport_closed_) return;
  const bool was_connected = engine_.connected();
  engine_.send_settled(ticket, stored, SteadyClock::now());
  if (was_connected != engine_.connected()) schedule_timer();
}

void StompConnection::returned(const std::string& destination,
                               std::shared_ptr<const stomp::Message> message) {
  // Only point-to-point messages are handed to another subscriber; a topic message NACKed by one
  // subscriber has already reached the others.
  if (broker::classify(destination).kind == broker::DestinationKind::kQueue) {
    services_.hub.deliver_to_one(destination, message);
  }
}

void StompConnection::received(stomp::Command command) { services_.metrics.frame_in(command); }

void StompConnection::write(stomp::Outbound out) {
  if (transport_closed_ || (slow_ && !bypass_limit_)) return;
  if (!bypass_limit_ &&
      outbound_bytes_ + out.size() > services_.config.stomp.outbound_queue_bytes) {
    // The client reads slower than it is sent to. What is queued will never be read in time; it
    // is dropped with the connection, and the client is told why.
    slow_ = true;
    services_.metrics.error("slow_consumer");
    outbound_.clear();
    outbound_bytes_ = 0;
    asio::post(executor_, [self = shared_from_this()] {
      self->bypass_limit_ = true;
      self->engine_.fail("slow consumer", "the client did not read its messages fast enough");
      self->bypass_limit_ = false;
    });
    return;
  }
  count_frame_out(out);
  outbound_bytes_ += out.size();
  outbound_.push_back(std::move(out));
  if (transport_ != nullptr) transport_->wake();
}

void StompConnection::count_frame_out(const stomp::Outbound& out) {
  const std::string_view head = out.head();
  if (head.starts_with("MESSAGE\n")) {
    services_.metrics.frame_out(stomp::Command::kMessage);
    services_.metrics.delivered();
    return;
  }
  const std::size_t eol = head.find('\n');
  if (eol == 0 || eol == std::string_view::npos) return;  // a heart-beat
  if (auto command = stomp::parse_command(head.substr(0, eol)))
    services_.metrics.frame_out(*command);
}

void StompConnection::close(std::string_view reason) {
  if (close_requested_) return;
  close_requested_ = true;
  close_reason_ = std::string(reason);
  close_deadline_ = SteadyClock::now() + kCloseTimeout;
  schedule_timer();
  if (transport_ != nullptr) transport_->wake();
}

void StompConnection::schedule_timer() {
  if (transport_closed_) return;
  const auto deadline = std::min({engine_.next_deadline(), close_deadline_, credential_deadline_});
  timer_.expires_at(deadline);
  timer_.async_wait([weak = weak_from_this()](boost::system::error_code error) {
    if (error) return;
    if (auto self = weak.lock()) self->on_timer();
  });
}

void StompConnection::on_timer() {
  if (transport_closed_) return;
  const auto now = SteadyClock::now();
  if (close_requested_ && now >= close_deadline_) {
    if (transport_ != nullptr) transport_->abort();
    return;
  }
  if (now >= credential_deadline_ && engine_.connected()) {
    // Revocation by expiry: a session lives no longer than its credential, even one that only
    // listens. Clients keep it by sending a new token on /app/auth.refresh in time.
    credential_deadline_ = SteadyClock::time_point::max();
    services_.metrics.error("auth");
    engine_.fail("authentication failed: token expired",
                 "refresh the access token and reconnect, or send a new one on /app/auth.refresh "
                 "before it expires");
  } else {
    engine_.on_tick(now);
  }
  // Idle: the queue's storage goes back, so a quiet connection costs as little as it can.
  outbound_.release();
  schedule_timer();
}

void StompConnection::set_credential_deadline(std::int64_t expires_at) {
  if (expires_at == 0) {
    credential_deadline_ = SteadyClock::time_point::max();
    return;
  }
  // The verifier accepts a token until exp + skew; the session gets the same allowance.
  const std::int64_t left = expires_at + services_.config.jwt.clock_skew - util::unix_seconds();
  credential_deadline_ = SteadyClock::now() + std::chrono::seconds(std::max<std::int64_t>(left, 0));
}

}  // namespace aicc::net
