// One client's STOMP connection, whatever carries it (raw WebSocket or a SockJS transport).
//
// It binds the pure stomp::Engine to the world: credentials are checked with the JWT verifier,
// subscriptions go to the Hub, SENDs to the app handlers, and outbound frames wait in a bounded
// queue that the transport drains. Everything here runs on the connection's own I/O thread;
// deliveries from other threads arrive through deliver_async(), which posts.
//
// Back-pressure: the outbound queue is bounded in bytes (stomp.outbound-queue-bytes). A client
// that lets it fill is not keeping up; it gets ERROR "slow consumer" and is closed, so one slow
// reader costs bounded memory and never delays anybody else. A since-seq replay is the exception
// that waits for the client instead: it is read from the store page by page and queued only while
// the queue is below half its bound, so a replay of any length never overflows it.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstddef>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "net/connection.hpp"
#include "net/metrics.hpp"
#include "net/outbound_queue.hpp"
#include "net/replay_cursor.hpp"
#include "net/send_limits.hpp"
#include "net/services.hpp"
#include "stomp/engine.hpp"

namespace aicc::net {

class StompConnection : public Connection,
                        public std::enable_shared_from_this<StompConnection>,
                        private stomp::EnginePorts {
 public:
  // How long a closing connection may take to flush before it is cut.
  static constexpr std::chrono::seconds kCloseTimeout{5};

  // `handshake_ticket`: the ?ticket= of the WebSocket or SockJS URL, if any; tried on CONNECT
  // when the frame carries no token.
  StompConnection(Services& services, boost::asio::any_io_executor executor, Transport kind,
                  std::string remote_address, HandshakeTicket handshake_ticket = {});
  ~StompConnection() override;

  // Registers with the hub and starts the timers. Call once, on the executor.
  void start(ConnectionTransport& transport) override;

  // From the transport, on the executor.
  void on_data(std::string_view bytes) override;
  void on_transport_closed(std::string_view reason) override;

  // Moves queued output into `into` (at least one item when any is queued, then up to `max_bytes`
  // and `max_items`). Returns the number of bytes taken.
  std::size_t take_output(std::vector<stomp::Outbound>& into, std::size_t max_bytes,
                          std::size_t max_items = static_cast<std::size_t>(-1)) override;
  bool has_output() const override { return !outbound_.empty(); }
  // The engine asked to close and all of its output has been taken.
  bool should_close() const override { return close_requested_ && outbound_.empty(); }

  // From any thread.
  void deliver_async(std::string subscription_id, std::shared_ptr<const stomp::Message> message);
  void shutdown_async(std::string reason);
  // Reads what the subscription of a sequenced stream (a room) may have missed from the store,
  // then goes live again, each message once and in order (the bus was out of reach for a while).
  // Nothing for other subscriptions, or one that is catching up already.
  void catch_up_async(std::string subscription_id, std::string destination);

  // On the executor.
  void deliver(const std::string& subscription_id,
               const std::shared_ptr<const stomp::Message>& message);
  // The same, with the time read once for a whole batch of deliveries.
  void deliver(const std::string& subscription_id,
               const std::shared_ptr<const stomp::Message>& message,
               std::chrono::steady_clock::time_point now);

  const boost::asio::any_io_executor& executor() const { return executor_; }
  // Identifies the I/O thread (io_context) the connection lives on, for grouping deliveries.
  const void* context_key() const { return context_key_; }
  const std::string& id() const { return id_; }
  const stomp::Identity& identity() const { return engine_.identity(); }

 private:
  // stomp::EnginePorts
  util::Result<stomp::Identity, std::string> authenticate(const stomp::Frame& connect) override;
  std::string subscribe(const std::string& id, const std::string& destination, stomp::AckMode mode,
                        const stomp::Frame& frame) override;
  void unsubscribe(const std::string& id, const std::string& destination) override;
  // A stream subscription without since-seq is pending until its position was read.
  bool subscription_pending(const std::string& id) override {
    return awaiting_position_.contains(id);
  }
  stomp::SendResult send(const stomp::Frame& frame, std::uint64_t ticket) override;
  // A deferred SEND's completion came back (posted here from the thread that settled it).
  void settle_send(std::uint64_t ticket, bool stored);
  // Refuses a SEND over a rate limit (rate_limited with retryAfterMs); closes the connection
  // after limits.abuse-refusals of them in a row.
  stomp::SendResult rate_limited(const stomp::Frame& frame, std::chrono::milliseconds wait);
  void returned(const std::string& destination,
                std::shared_ptr<const stomp::Message> message) override;
  void received(stomp::Command command) override;
  void write(stomp::Outbound out) override;
  void close(std::string_view reason) override;

  void schedule_timer();
  // The session ends when its access token does (plus the allowed clock skew).
  void set_credential_deadline(std::int64_t expires_at);
  void on_timer();
  std::string registry_key(const std::string& destination) const;
  // A refusal when the session's access token has expired since CONNECT, else empty. (A revoked
  // login ends its sessions at once through the Hub, so no frame needs to ask.)
  std::string check_credential() const;
  // /app/auth.refresh: a fresh access token of the same user replaces the session's.
  // False when refused (the refusal went to /user/queue/errors).
  bool refresh_credential(const stomp::Frame& frame);
  // since-seq replays (see net/replay_cursor.hpp). Delivers what is ready while the outbound
  // queue is below its low-water mark, then starts the next page read if one is due; the
  // subscription goes live when its cursor is finished, the connection ends when it failed.
  void pump_replay(const std::string& subscription_id);
  // Runs pump_replay() for every replay once the transport has taken output (posted, once).
  void schedule_replay_pump();
  // Asks the store for the page the cursor wants, if any; false when the port refused.
  bool read_replay_page(const std::string& subscription_id);
  void on_replay_page(const std::string& subscription_id, std::uint64_t serial,
                      std::vector<std::shared_ptr<const stomp::Message>> page, bool ok);
  void count_frame_out(const stomp::Outbound& out);

  Services& services_;
  boost::asio::any_io_executor executor_;
  const void* context_key_;
  Transport kind_;
  std::string remote_address_;
  HandshakeTicket handshake_ticket_;  // single use; cleared once tried
  std::string login_id_;  // the login (refresh-token family) of the session's access token
  std::string id_;
  stomp::Engine engine_;
  SendAllowance send_allowance_;              // every SEND of this connection (limits.connection.*)
  int rate_refusals_ = 0;                     // SENDs refused for rate in a row
  ConnectionTransport* transport_ = nullptr;  // null once the transport is gone
  boost::asio::steady_timer timer_;
  std::chrono::steady_clock::time_point opened_at_;

  // Subscriptions catching up with since-seq, by subscription id: their live messages go to the
  // cursor until it is finished.
  struct Replay {
    std::uint64_t serial;     // tells a page of this replay from a late one of an earlier
    std::string destination;  // what the pages are read from
    ReplayCursor cursor;
  };
  std::unordered_map<std::string, Replay> replays_;
  std::uint64_t next_replay_serial_ = 0;
  // Per subscription to a sequenced stream (a room), the seq of the last message delivered, once
  // known (from since-seq, or the first message). Live messages are delivered in seq order, each
  // once: a repeat is dropped, and a message past a gap (with several nodes, messages stored on
  // other nodes may arrive after later ones stored here, or be lost with a Redis outage) starts a
  // catch-up from the store, which holds every stored message, as a since-seq replay does.
  std::unordered_map<std::string, std::uint64_t> stream_last_;
  // Subscriptions without since-seq to a stream, until its position at SUBSCRIBE is read: their
  // sequenced messages wait here (bounded; past the bound the catch-up reads them back).
  struct AwaitingPosition {
    std::uint64_t serial;
    std::string destination;
    std::vector<std::shared_ptr<const stomp::Message>> held;
    bool overflowed = false;  // messages past the bound were let go: read back from the store
  };
  std::unordered_map<std::string, AwaitingPosition> awaiting_position_;
  void on_stream_position(const std::string& subscription_id, std::uint64_t serial,
                          std::optional<std::uint64_t> last_seq);
  void deliver_in_order(const std::string& subscription_id,
                        const std::shared_ptr<const stomp::Message>& message,
                        std::chrono::steady_clock::time_point now);
  bool replay_pump_posted_ = false;  // a pump after take_output() is posted and has not run

  OutboundQueue outbound_;
  std::size_t outbound_bytes_ = 0;  // sum of outbound_ sizes
  bool slow_ = false;               // the queue overflowed; closing as a slow consumer
  bool bypass_limit_ = false;       // writing the final ERROR of a slow consumer
  bool close_requested_ = false;
  std::chrono::steady_clock::time_point close_deadline_ =
      std::chrono::steady_clock::time_point::max();
  std::chrono::steady_clock::time_point credential_deadline_ =
      std::chrono::steady_clock::time_point::max();
  std::string close_reason_;
  bool transport_closed_ = false;
};

}  // namespace aicc::net
