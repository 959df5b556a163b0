#include "stomp/engine.hpp"

#include <algorithm>
#include <charconv>

#include "stomp/encoder.hpp"

namespace aicc::stomp {
namespace {

using std::chrono::milliseconds;

constexpr std::string_view kSupportedVersions = "1.0,1.1,1.2";

// Picks the newest version named in accept-version; absent means 1.0 (STOMP 1.1 section
// "Protocol Negotiation").
std::optional<Version> negotiate_version(const std::string* accept_version) {
  if (accept_version == nullptr) return Version::k10;
  std::optional<Version> best;
  std::string_view rest = *accept_version;
  while (!rest.empty()) {
    const std::size_t comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    std::optional<Version> version;
    if (item == "1.0") version = Version::k10;
    if (item == "1.1") version = Version::k11;
    if (item == "1.2") version = Version::k12;
    if (version && (!best || *version > *best)) best = version;
  }
  return best;
}

bool parse_uint(std::string_view text, std::uint64_t& out) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  if (text.empty()) return false;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out);
  return error == std::errc{} && end == text.data() + text.size();
}

// "cx,cy" as milliseconds; absent means "0,0".
bool parse_heartbeat(const std::string* header, milliseconds& can_send, milliseconds& wants) {
  if (header == nullptr) {
    can_send = wants = milliseconds{0};
    return true;
  }
  const std::size_t comma = header->find(',');
  if (comma == std::string::npos) return false;
  std::uint64_t x = 0;
  std::uint64_t y = 0;
  constexpr std::uint64_t kMaxMs = 24ull * 3600 * 1000;
  if (!parse_uint(std::string_view(*header).substr(0, comma), x) ||
      !parse_uint(std::string_view(*header).substr(comma + 1), y) || x > kMaxMs || y > kMaxMs) {
    return false;
  }
  can_send = milliseconds{x};
  wants = milliseconds{y};
  return true;
}

// Header values in ERROR frames stay on one line whatever the reason text holds, and short. A
// long reason is cut between UTF-8 characters, never inside one: a header that is not valid UTF-8
// would make the client reject the whole frame.
std::string one_line(std::string_view text) {
  constexpr std::size_t kMaxBytes = 256;
  if (text.size() > kMaxBytes) {
    std::size_t cut = kMaxBytes;
    // Back up while the first byte left out is a continuation byte (10xxxxxx).
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
    text = text.substr(0, cut);
  }
  std::string out(text);
  std::replace_if(
      out.begin(), out.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
  return out;
}

std::optional<AckMode> parse_ack_mode(std::string_view text) {
  if (text.empty() || text == "auto") return AckMode::kAuto;
  if (text == "client") return AckMode::kClient;
  if (text == "client-individual") return AckMode::kClientIndividual;
  return std::nullopt;
}

}  // namespace

Engine::Engine(EngineOptions options, EnginePorts& ports, std::string session_id,
               Clock::time_point now)
    : options_(std::move(options)),
      ports_(ports),
      decoder_(options_.limits),
      session_id_(std::move(session_id)),
      connect_deadline_(now + options_.connect_timeout),
      last_read_(now),
      last_write_(now),
      now_(now) {
  // Until CONNECT names a version, frames are read without header unescaping (CONNECT itself
  // is never escaped).
  decoder_.set_version(Version::k10);
}

void Engine::on_data(std::string_view bytes, Clock::time_point now) {
  if (state_ == State::kClosed) return;
  now_ = now;
  last_read_ = now;
  while (!bytes.empty() && state_ != State::kClosed) {
    decoded_.clear();
    if (state_ == State::kAwaitingConnect) {
      // The version is not known before CONNECT is handled, so frames are decoded one at a time:
      // a frame sent right behind CONNECT, in the same bytes, is then read with the negotiated
      // version's escaping rules.
      bytes.remove_prefix(decoder_.feed_one(bytes, decoded_));
    } else {
      decoder_.feed(bytes, decoded_);
      bytes = {};
    }
    // Frames decoded before a bad one are still handled, in order: they were valid.
    for (Frame& frame : decoded_) {
      if (state_ == State::kClosed) return;
      handle(frame);
    }
    if (decoder_.error() != DecodeError::kNone) {
      protocol_error(nullptr, describe(decoder_.error()));
      return;
    }
  }
  // Handled frames are not kept until the next read: an idle connection would hold its CONNECT
  // frame (and the token in it) for as long as it lives.
  decoded_.clear();
}

void Engine::handle(Frame& frame) {
  ports_.received(frame.command);
  // After DISCONNECT only its receipt is still to come (once the SENDs before it settle).
  if (disconnect_receipt_) return;
  if (state_ == State::kAwaitingConnect) {
    if (frame.command == Command::kConnect || frame.command == Command::kStomp) {
      handle_connect(frame);
    } else {
      protocol_error(&frame, "authentication failed: CONNECT required first");
    }
    return;
  }
  switch (frame.command) {
    case Command::kConnect:
    case Command::kStomp:
      protocol_error(&frame, "already connected");
      return;
    case Command::kSend:
    case Command::kAck:
    case Command::kNack:
      if (frame.command == Command::kSend && frame.find("destination") == nullptr) {
        protocol_error(&frame, "missing destination header");
        return;
      }
      if ((frame.command == Command::kAck || frame.command == Command::kNack) &&
          version_ == Version::k11 && frame.find("subscription") == nullptr) {
        // STOMP 1.1 names the subscription on ACK and NACK; without it the message is ambiguous.
        protocol_error(&frame, "missing subscription header");
        return;
      }
      if (!buffer_in_transaction(frame)) apply(frame);
      return;
    case Command::kSubscribe:
      handle_subscribe(frame);
      return;
    case Command::kUnsubscribe:
      handle_unsubscribe(frame);
      return;
    case Command::kBegin:
    case Command::kCommit:
    case Command::kAbort:
      handle_transaction(frame);
      return;
    case Command::kDisconnect:
      handle_disconnect(frame);
      return;
    case Command::kConnected:
    case Command::kMessage:
    case Command::kReceipt:
    case Command::kError:
      protocol_error(&frame, "unexpected frame from client", to_string(frame.command));
      return;
  }
}

void Engine::handle_connect(const Frame& frame) {
  const std::optional<Version> version = negotiate_version(frame.find("accept-version"));
  if (!version) {
    Frame error;
    error.command = Command::kError;
    error.add("session", session_id_);
    error.add("version", std::string(kSupportedVersions));
    error.add("content-type", "text/plain");
    error.add("message", "unsupported STOMP version");
    error.body = "Supported versions are " + std::string(kSupportedVersions);
    write_frame(error);
    close_now("unsupported STOMP version");
    return;
  }
  // A refusal of this CONNECT is written with the escaping of the version it asked for.
  reply_version_ = *version;
  milliseconds client_can_send{0};
  milliseconds client_wants{0};
  if (!parse_heartbeat(frame.find("heart-beat"), client_can_send, client_wants)) {
    protocol_error(&frame, "invalid heart-beat header", "expected two whole numbers: cx,cy");
    return;
  }
  auto identity = ports_.authenticate(frame);
  if (!identity) {
    protocol_error(&frame, "authentication failed: " + identity.error());
    return;
  }
  identity_ = std::move(identity.value());
  version_ = *version;
  decoder_.set_version(version_);
  state_ = State::kConnected;

  // STOMP 1.1 heart-beating: each side sends at the slower of what one offers and the other wants.
  const auto& o = options_;
  send_interval_ = (o.heartbeat_send.count() > 0 && client_wants.count() > 0)
                       ? std::max(o.heartbeat_send, client_wants)
                       : milliseconds{0};
  receive_interval_ = (o.heartbeat_receive.count() > 0 && client_can_send.count() > 0)
                          ? std::max(o.heartbeat_receive, client_can_send)
                          : milliseconds{0};

  Frame connected;
  connected.command = Command::kConnected;
  connected.add("version", std::string(to_string(version_)));
  connected.add("heart-beat", std::to_string(o.heartbeat_send.count()) + "," +
                                  std::to_string(o.heartbeat_receive.count()));
  connected.add("server", o.server_name);
  connected.add("session", session_id_);
  connected.add("user-name", identity_.user_id);
  write_frame(connected);
}

void Engine::handle_subscribe(const Frame& frame) {
  const std::string* destination = frame.find("destination");
  if (destination == nullptr) return protocol_error(&frame, "missing destination header");
  // STOMP 1.0 made the id optional; then the destination names the subscription.
  const std::string* id_header = frame.find("id");
  if (id_header == nullptr && version_ != Version::k10) {
    return protocol_error(&frame, "missing id header");
  }
  const std::string id = id_header != nullptr ? *id_header : *destination;
  const std::optional<AckMode> mode = parse_ack_mode(frame.get("ack"));
  if (!mode) {
    return protocol_error(&frame, "invalid ack header", "use auto, client or client-individual");
  }
  if (subscriptions_.contains(id)) {
    return protocol_error(&frame, "subscription id already in use", id);
  }
  if (subscriptions_.size() >= options_.max_subscriptions) {
    return protocol_error(&frame, "too many subscriptions");
  }
  const std::string refusal = ports_.subscribe(id, *destination, *mode, frame);
  if (!refusal.empty()) return protocol_error(&frame, refusal, *destination);
  subscriptions_.emplace(id, Subscription{*destination, *mode, {}});
  if (ports_.subscription_pending(id)) {
    pending_subscriptions_[id] = std::string(frame.get("receipt"));
    return;
  }
  send_receipt_if_asked(frame);
}

void Engine::subscription_ready(const std::string& id) {
  auto it = pending_subscriptions_.find(id);
  if (it == pending_subscriptions_.end()) return;
  std::string receipt = std::move(it->second);
  pending_subscriptions_.erase(it);
  if (receipt.empty() || state_ == State::kClosed || !subscriptions_.contains(id)) return;
  Frame out;
  out.command = Command::kReceipt;
  out.add("receipt-id", std::move(receipt));
  write_frame(out);
}

void Engine::handle_unsubscribe(const Frame& frame) {
  const std::string* id = frame.find("id");
  if (id == nullptr && version_ == Version::k10) id = frame.find("destination");
  if (id == nullptr) return protocol_error(&frame, "missing id header");
  auto it = subscriptions_.find(*id);
  if (it != subscriptions_.end()) {
    // Unsubscribed first, so that returned messages cannot be handed back to this subscription.
    ports_.unsubscribe(it->first, it->second.destination);
    return_unacked(it->second);
    pending_subscriptions_.erase(it->first);
    subscriptions_.erase(it);
  }
  // Unsubscribing twice is harmless; the receipt still confirms the state the client asked for.
  send_receipt_if_asked(frame);
}

void Engine::apply(const Frame& frame, std::uint64_t commit) {
  if (frame.command == Command::kSend) {
    handle_send(frame, commit);
  } else {
    handle_ack(frame, frame.command == Command::kAck);
  }
}

void Engine::handle_send(const Frame& frame, std::uint64_t commit) {
  const std::uint64_t ticket = next_ticket_++;
  SendResult result = ports_.send(frame, ticket);
  switch (result.status) {
    case SendResult::Status::kDone:
      send_receipt_if_asked(frame);
      return;
    case SendResult::Status::kRefused:
      return;
    case SendResult::Status::kFault:
      return protocol_error(&frame, result.reason, frame.get("destination"));
    case SendResult::Status::kPending:
      if (state_ == State::kClosed) return;
      pending_sends_.emplace(ticket, PendingSend{std::string(frame.get("receipt")), commit});
      if (commit != 0) ++pending_commits_[commit].outstanding;
      return;
  }
}

void Engine::send_settled(std::uint64_t ticket, bool stored, Clock::time_point now) {
  auto it = pending_sends_.find(ticket);
  if (it == pending_sends_.end() || state_ == State::kClosed) return;
  now_ = now;
  PendingSend pending = std::move(it->second);
  pending_sends_.erase(it);
  if (stored && !pending.receipt.empty()) {
    Frame out;
    out.command = Command::kReceipt;
    out.add("receipt-id", std::move(pending.receipt));
    write_frame(out);
  }
  if (pending.commit != 0) settle_commit(pending.commit);
  finish_disconnect_if_settled();
}

void Engine::settle_commit(std::uint64_t commit) {
  auto it = pending_commits_.find(commit);
  if (it == pending_commits_.end() || --it->second.outstanding > 0) return;
  std::string receipt = std::move(it->second.receipt);
  pending_commits_.erase(it);
  if (receipt.empty() || state_ == State::kClosed) return;
  Frame out;
  out.command = Command::kReceipt;
  out.add("receipt-id", std::move(receipt));
  write_frame(out);
}

void Engine::finish_disconnect_if_settled() {
  if (!disconnect_receipt_ || !pending_sends_.empty() || state_ == State::kClosed) return;
  if (!disconnect_receipt_->empty()) {
    Frame out;
    out.command = Command::kReceipt;
    out.add("receipt-id", *disconnect_receipt_);
    write_frame(out);
  }
  close_now("client disconnected");
}

void Engine::handle_ack(const Frame& frame, bool positive) {
  // 1.2 acknowledges by the MESSAGE's ack header (sent back as `id`); 1.0 and 1.1 by message-id.
  const std::string* ack_id =
      version_ == Version::k12 ? frame.find("id") : frame.find("message-id");
  if (ack_id == nullptr) {
    return protocol_error(
        &frame, version_ == Version::k12 ? "missing id header" : "missing message-id header");
  }
  const std::string* subscription_id = frame.find("subscription");
  for (auto& [id, subscription] : subscriptions_) {
    if (subscription_id != nullptr && version_ != Version::k12 && id != *subscription_id) continue;
    auto& unacked = subscription.unacked;
    auto match = std::find_if(unacked.begin(), unacked.end(),
                              [&](const Pending& p) { return p.ack_id == *ack_id; });
    if (match == unacked.end()) continue;
    // In `client` mode an ACK or NACK covers every earlier message of the subscription too.
    auto first = subscription.mode == AckMode::kClient ? unacked.begin() : match;
    if (!positive) {
      for (auto it = first; it != match + 1; ++it) {
        ports_.returned(subscription.destination, it->message);
      }
    }
    unacked.erase(first, match + 1);
    break;
  }
  // An ACK for a message already acknowledged, or for a subscription just closed, is the normal
  // race between client and server; it is not an error.
  send_receipt_if_asked(frame);
}

bool Engine::buffer_in_transaction(Frame& frame) {
  const std::string* transaction = frame.find("transaction");
  if (transaction == nullptr) return false;
  auto it = transactions_.find(*transaction);
  if (it == transactions_.end()) {
    protocol_error(&frame, "unknown transaction", *transaction);
    return true;
  }
  if (it->second.size() >= options_.max_transaction_frames) {
    protocol_error(&frame, "transaction too large");
    return true;
  }
  // Its receipt comes when the COMMIT has applied it (and, for a SEND, its effect is durable): a
  // receipt now would confirm a frame that an ABORT or a refusal at COMMIT may yet undo.
  it->second.emplace_back(std::move(frame));
  return true;
}

void Engine::handle_transaction(const Frame& frame) {
  const std::string* name = frame.find("transaction");
  if (name == nullptr) return protocol_error(&frame, "missing transaction header");
  auto it = transactions_.find(*name);
  if (frame.command == Command::kBegin) {
    if (it != transactions_.end()) {
      return protocol_error(&frame, "transaction already begun", *name);
    }
    if (transactions_.size() >= options_.max_transactions) {
      return protocol_error(&frame, "too many open transactions");
    }
    transactions_.emplace(*name, std::vector<Frame>{});
    return send_receipt_if_asked(frame);
  }
  if (it == transactions_.end()) return protocol_error(&frame, "unknown transaction", *name);
  std::vector<Frame> frames = std::move(it->second);
  transactions_.erase(it);
  if (frame.command == Command::kCommit) {
    // The COMMIT's receipt waits for every SEND of the transaction to be durable.
    const std::uint64_t commit = next_commit_++;
    pending_commits_[commit] = PendingCommit{std::string(frame.get("receipt")), 1};
    for (const Frame& kept : frames) {
      if (state_ == State::kClosed) return;
      apply(kept, commit);
    }
    if (state_ == State::kClosed) return;
    settle_commit(commit);  // the hold taken above
    return;
  }
  // ABORT: the kept frames are dropped unapplied, and none of them had a receipt.
  send_receipt_if_asked(frame);
}

void Engine::handle_disconnect(const Frame& frame) {
  // The receipt promises that every frame before it was handled, so it waits for pending SENDs.
  disconnect_receipt_ = std::string(frame.get("receipt"));
  finish_disconnect_if_settled();
}

void Engine::deliver(const std::string& subscription_id,
                     const std::shared_ptr<const Message>& message, Clock::time_point now) {
  if (state_ != State::kConnected) return;
  auto it = subscriptions_.find(subscription_id);
  if (it == subscriptions_.end()) return;
  now_ = now;
  Subscription& subscription = it->second;
  const std::string message_id = std::to_string(next_message_id_++);

  Outbound out;
  out.append_head("MESSAGE\nsubscription:");
  if (is_escape_free(subscription_id)) {
    out.append_head(subscription_id);
  } else {
    std::string escaped;
    append_escaped(escaped, subscription_id, version_);
    out.append_head(escaped);
  }
  out.append_head("\nmessage-id:");
  out.append_head(message_id);
  out.append_head("\n");
  if (subscription.mode != AckMode::kAuto) {
    if (subscription.unacked.size() >= options_.max_unacked) {
      // Closing releases the subscriptions first, so the broker cannot hand the message straight
      // back to this connection, where it would be dropped.
      const std::string destination = subscription.destination;
      fail("too many unacknowledged messages",
           "acknowledge messages (ACK) before more can be delivered");
      ports_.returned(destination, message);
      return;
    }
    if (version_ == Version::k12) {
      out.append_head("ack:");
      out.append_head(message_id);
      out.append_head("\n");
    }
    subscription.unacked.push_back(Pending{message_id, message});
  }
  out.set_shared(std::shared_ptr<const std::string>(message, &message->tail_for(version_)));
  last_write_ = now;
  ports_.write(std::move(out));
}

void Engine::on_tick(Clock::time_point now) {
  if (state_ == State::kClosed) return;
  now_ = now;
  if (state_ == State::kAwaitingConnect) {
    if (now >= connect_deadline_) {
      protocol_error(nullptr, "connect timeout", "no CONNECT frame in time");
    }
    return;
  }
  if (receive_interval_.count() > 0) {
    const auto allowed =
        std::chrono::duration_cast<milliseconds>(receive_interval_ * options_.heartbeat_grace);
    if (now - last_read_ > allowed) {
      fail("heart-beat timeout", "nothing received within the negotiated heart-beat interval");
      return;
    }
  }
  if (send_interval_.count() > 0 && now - last_write_ >= send_interval_) write_raw("\n");
}

Clock::time_point Engine::next_deadline() const {
  if (state_ == State::kClosed) return Clock::time_point::max();
  if (state_ == State::kAwaitingConnect) return connect_deadline_;
  Clock::time_point next = Clock::time_point::max();
  if (receive_interval_.count() > 0) {
    const auto allowed =
        std::chrono::duration_cast<milliseconds>(receive_interval_ * options_.heartbeat_grace);
    next = std::min(next, last_read_ + allowed + milliseconds{1});
  }
  if (send_interval_.count() > 0) next = std::min(next, last_write_ + send_interval_);
  return next;
}

void Engine::fail(std::string_view message, std::string_view detail) {
  protocol_error(nullptr, message, detail);
}

void Engine::on_transport_closed() {
  state_ = State::kClosed;
  pending_sends_.clear();
  pending_commits_.clear();
  release_subscriptions();
}

void Engine::release_subscriptions() {
  // Every subscription is gone before any message is returned, so that none can be handed back
  // to this connection.
  for (auto& [id, subscription] : subscriptions_) ports_.unsubscribe(id, subscription.destination);
  for (auto& [id, subscription] : subscriptions_) return_unacked(subscription);
  subscriptions_.clear();
  pending_subscriptions_.clear();
  transactions_.clear();
}

void Engine::return_unacked(Subscription& subscription) {
  for (Pending& pending : subscription.unacked) {
    ports_.returned(subscription.destination, std::move(pending.message));
  }
  subscription.unacked.clear();
}

void Engine::send_receipt_if_asked(const Frame& frame) {
  const std::string* receipt = frame.find("receipt");
  if (receipt == nullptr || state_ == State::kClosed) return;
  Frame out;
  out.command = Command::kReceipt;
  out.add("receipt-id", *receipt);
  write_frame(out);
}

void Engine::protocol_error(const Frame* cause, std::string_view message, std::string_view detail) {
  if (state_ == State::kClosed) return;
  Frame error;
  error.command = Command::kError;
  error.add("message", one_line(message));
  // The session's correlation id (CONNECTED's session header; the server logs it as id=).
  error.add("session", session_id_);
  error.add("content-type", "text/plain");
  if (cause != nullptr) {
    if (const std::string* receipt = cause->find("receipt")) error.add("receipt-id", *receipt);
  }
  error.body = std::string(message);
  if (!detail.empty()) error.body.append(": ").append(detail);
  write_frame(error);
  close_now(message);
}

void Engine::write_frame(const Frame& frame) {
  // Before CONNECTED, a refusal of CONNECT uses the escaping of the version the client asked for
  // (1.1 and 1.2 clients unescape every ERROR header); with no version agreed, 1.0 rules.
  const Version version = state_ == State::kConnected ? version_ : reply_version_;
  write_raw(encode(frame, version));
}

void Engine::write_raw(std::string bytes) {
  last_write_ = now_;
  ports_.write(Outbound{std::move(bytes), nullptr});
}

void Engine::close_now(std::string_view reason) {
  state_ = State::kClosed;
  pending_sends_.clear();
  pending_commits_.clear();
  ports_.close(reason);
  // Nothing more is written, and no ACK will be read: the subscriptions are given up now rather
  // than when the transport is gone, which may be seconds later while the last frames are flushed.
  // Meanwhile the broker would keep routing queue messages here, to be dropped.
  release_subscriptions();
}

}  // namespace aicc::stomp
