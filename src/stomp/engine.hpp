// The STOMP protocol state machine of one client connection (sans-I/O).
//
// Bytes from the transport go in through on_data(); frames, deliveries and decisions come out
// through the EnginePorts interface, which the network layer implements (and tests fake). The
// engine owns what STOMP itself defines: version and heart-beat negotiation, the CONNECT
// handshake, required headers, subscription ids and ack modes, receipts, transactions, ERROR
// frames, and the timers (connect timeout, heart-beats) driven by on_tick(now). What a destination
// means, who may use it and how credentials are checked belong to the ports.
//
// After an ERROR, DISCONNECT or close() the engine is closed: further input is ignored, nothing
// more is written, and every subscription is released (unsubscribed, then its unacknowledged
// messages returned).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "stomp/decoder.hpp"
#include "stomp/frame.hpp"
#include "stomp/message.hpp"
#include "util/result.hpp"

namespace aicc::stomp {

using Clock = std::chrono::steady_clock;

// Who is on the other end, once CONNECT succeeded.
struct Identity {
  std::string user_id;
  std::string role;
  std::string name;
  std::int64_t expires_at = 0;  // unix seconds when the credential expires; 0: never
};

enum class AckMode { kAuto, kClient, kClientIndividual };

// What became of a SEND handed to the world (EnginePorts::send).
struct SendResult {
  enum class Status {
    kDone,     // its effect is complete (durable where it stores): the RECEIPT goes now
    kPending,  // the world settles it later with Engine::send_settled(ticket, ...)
    kRefused,  // refused without closing; the refusal (with the receipt-id) was already sent
    kFault,    // a protocol fault: ERROR + close with `reason`
  };
  Status status = Status::kDone;
  std::string reason;

  static SendResult done() { return {}; }
  static SendResult pending() { return {Status::kPending, {}}; }
  static SendResult refused() { return {Status::kRefused, {}}; }
  static SendResult fault(std::string reason) { return {Status::kFault, std::move(reason)}; }
};

struct EngineOptions {
  DecoderLimits limits;
  std::chrono::milliseconds heartbeat_send{10000};     // server can send every (0: never)
  std::chrono::milliseconds heartbeat_receive{10000};  // server wants to receive every (0: never)
  double heartbeat_grace = 1.5;  // silence allowed, as a multiple of the negotiated interval
  std::chrono::milliseconds connect_timeout{10000};  // CONNECT must come within this
  std::size_t max_subscriptions = 256;
  std::size_t max_transactions = 16;
  std::size_t max_transaction_frames = 1000;
  std::size_t max_unacked = 1000;  // per subscription, in client ack modes
  std::string server_name = "aicc-chat";
};

// What the engine asks of the world. Every call happens on the connection's own thread.
class EnginePorts {
 public:
  virtual ~EnginePorts() = default;

  // Checks the credentials of a CONNECT frame. On failure, a lower-case reason that follows
  // "authentication failed: " (e.g. "token expired").
  virtual util::Result<Identity, std::string> authenticate(const Frame& connect) = 0;
  // A new subscription (`frame` is the SUBSCRIBE, for headers such as since-seq); a non-empty
  // result refuses it (ERROR + close) with that reason.
  virtual std::string subscribe(const std::string& id, const std::string& destination, AckMode mode,
                                const Frame& frame) = 0;
  virtual void unsubscribe(const std::string& id, const std::string& destination) = 0;
  // True when the subscription just accepted is not ready yet (its starting point is still being
  // read): its RECEIPT then waits for Engine::subscription_ready(id), so that what a client sends
  // after the RECEIPT is sure to reach the subscription.
  virtual bool subscription_pending(const std::string& id) { return false; }
  // A SEND (outside a transaction, or at COMMIT). `ticket` names it if the result is kPending:
  // its RECEIPT waits until Engine::send_settled(ticket, ...) says its effect is durable.
  virtual SendResult send(const Frame& frame, std::uint64_t ticket) = 0;
  // A message delivered in a client ack mode was NACKed or never acknowledged before the
  // connection ended: the broker may hand it to another subscriber.
  virtual void returned(const std::string& destination, std::shared_ptr<const Message> message) = 0;
  // Every frame received, before it is handled (for metrics).
  virtual void received(Command command) {}
  // Bytes for the peer, in order.
  virtual void write(Outbound out) = 0;
  // Close the connection once what was written is flushed.
  virtual void close(std::string_view reason) = 0;
};

class Engine {
 public:
  Engine(EngineOptions options, EnginePorts& ports, std::string session_id, Clock::time_point now);

  // Bytes from the peer (one WebSocket or SockJS message, or any part of the stream).
  void on_data(std::string_view bytes, Clock::time_point now);

  // Deliver a published message on subscription `subscription_id` (ignored when that
  // subscription is gone, which is the normal race with UNSUBSCRIBE).
  void deliver(const std::string& subscription_id, const std::shared_ptr<const Message>& message,
               Clock::time_point now);

  // A SEND answered kPending is settled: `stored` sends its RECEIPT (if it asked for one); false
  // means it was refused and the refusal already told the client. Unknown tickets are ignored
  // (the connection closed meanwhile). Receipts of a COMMIT and of a DISCONNECT wait for every
  // SEND before them to settle.
  void send_settled(std::uint64_t ticket, bool stored, Clock::time_point now);
  std::size_t pending_sends() const { return pending_sends_.size(); }
  // A subscription the ports said was pending is ready: its RECEIPT goes now (if it asked for one
  // and is still subscribed).
  void subscription_ready(const std::string& id);

  // Timers: heart-beats, the connect timeout and silent peers. Call at next_deadline() or later.
  void on_tick(Clock::time_point now);
  Clock::time_point next_deadline() const;

  // The server ends the connection: ERROR with `message` (e.g. "server shutting down",
  // "slow consumer") and close.
  void fail(std::string_view message, std::string_view detail = {});
  // The transport is gone: every subscription is released (unsubscribed, then its unacknowledged
  // messages returned); nothing more is written.
  void on_transport_closed();

  // A fresh credential of the same user replaces the one given on CONNECT (/app/auth.refresh),
  // so a long-lived connection outlives the access token it started with.
  void replace_identity(Identity identity) { identity_ = std::move(identity); }

  bool connected() const { return state_ == State::kConnected; }
  bool closed() const { return state_ == State::kClosed; }
  const Identity& identity() const { return identity_; }
  Version version() const { return version_; }
  const std::string& session_id() const { return session_id_; }
  std::size_t subscription_count() const { return subscriptions_.size(); }
  std::chrono::milliseconds send_interval() const { return send_interval_; }
  std::chrono::milliseconds receive_interval() const { return receive_interval_; }

 private:
  enum class State { kAwaitingConnect, kConnected, kClosed };

  struct Pending {
    std::string ack_id;
    std::shared_ptr<const Message> message;
  };
  struct Subscription {
    std::string destination;
    AckMode mode = AckMode::kAuto;
    std::deque<Pending> unacked;  // delivery order
  };

  void handle(Frame& frame);
  void handle_connect(const Frame& frame);
  void handle_subscribe(const Frame& frame);
  void handle_unsubscribe(const Frame& frame);
  void handle_send(const Frame& frame, std::uint64_t commit);
  void handle_ack(const Frame& frame, bool positive);
  void handle_transaction(const Frame& frame);
  void handle_disconnect(const Frame& frame);
  // Applies SEND/ACK/NACK now, or keeps it for COMMIT when it names a transaction.
  bool buffer_in_transaction(Frame& frame);
  // `commit`: the COMMIT this frame is applied for (0: none); its receipt waits for the frame.
  void apply(const Frame& frame, std::uint64_t commit = 0);
  void settle_commit(std::uint64_t commit);
  void finish_disconnect_if_settled();

  void send_receipt_if_asked(const Frame& frame);
  void protocol_error(const Frame* cause, std::string_view message, std::string_view detail = {});
  void write_frame(const Frame& frame);
  void write_raw(std::string bytes);
  void close_now(std::string_view reason);
  void release_subscriptions();
  void return_unacked(Subscription& subscription);

  EngineOptions options_;
  EnginePorts& ports_;
  Decoder decoder_;
  std::string session_id_;
  State state_ = State::kAwaitingConnect;
  Version version_ = Version::k12;
  Version reply_version_ = Version::k10;  // escaping of frames written before CONNECTED
  Identity identity_;

  Clock::time_point connect_deadline_;
  Clock::time_point last_read_;
  Clock::time_point last_write_;
  Clock::time_point now_;                          // time of the event being handled
  std::chrono::milliseconds send_interval_{0};     // negotiated; 0: no heart-beats to send
  std::chrono::milliseconds receive_interval_{0};  // negotiated; 0: peer silence is allowed

  std::map<std::string, Subscription, std::less<>> subscriptions_;
  std::map<std::string, std::vector<Frame>, std::less<>> transactions_;
  std::uint64_t next_message_id_ = 1;

  // SENDs whose effect is not yet durable, by ticket: the receipt they asked for (may be empty) and
  // the COMMIT they belong to (0: none).
  struct PendingSend {
    std::string receipt;
    std::uint64_t commit = 0;
  };
  std::map<std::uint64_t, PendingSend> pending_sends_;
  // Subscriptions not ready yet, by id: the receipt they asked for (may be empty).
  std::map<std::string, std::string> pending_subscriptions_;
  std::uint64_t next_ticket_ = 1;
  // COMMITs whose frames are not all settled: their receipt and how many frames are left.
  struct PendingCommit {
    std::string receipt;
    std::size_t outstanding = 0;
  };
  std::map<std::uint64_t, PendingCommit> pending_commits_;
  std::uint64_t next_commit_ = 1;
  // DISCONNECT arrived while SENDs were pending: its receipt (may be empty) waits for them.
  std::optional<std::string> disconnect_receipt_;
  std::vector<Frame> decoded_;  // reused buffer for on_data
};

}  // namespace aicc::stomp
