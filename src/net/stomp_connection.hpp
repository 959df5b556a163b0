// One client's STOMP connection, whatever carries it (raw WebSocket or a SockJS transport).
//
// It binds the pure stomp::Engine to the world: credentials are checked with the JWT verifier,
// subscriptions go to the Hub, SENDs to the app handlers, and outbound frames wait in a bounded
// queue that the transport drains. Everything here runs on the connection's own I/O thread;
// deliveries from other threads arrive through deliver_async(), which posts.
//
// Back-pressure: the outbound queue is bounded in bytes (stomp.outbound-queue-bytes). A client
// that lets it fill is not keeping up; it gets ERROR "slow consumer" and is closed, so one slow
// reader costs bounded memory and never delays anybody else.
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

#include "net/metrics.hpp"
#include "net/outbound_queue.hpp"
#include "net/services.hpp"
#include "stomp/engine.hpp"

namespace aicc::net {

// Implemented by the transport that carries the connection.
class ConnectionTransport {
 public:
  virtual ~ConnectionTransport() = default;
  // Output is waiting in the connection (take_output), or a close was requested.
  virtual void wake() = 0;
  // Close now without flushing (the peer did not read what was left within the close timeout).
  virtual void abort() = 0;
};

class StompConnection : public std::enable_shared_from_this<StompConnection>,
                        private stomp::EnginePorts {
 public:
  // How long a closing connection may take to flush before it is cut.
  static constexpr std::chrono::seconds kCloseTimeout{5};

  // `handshake_ticket`: the ?ticket= of the WebSocket or SockJS URL, if any; tried on CONNECT
  // when the frame carries no token.
  StompConnection(Services& services, boost::asio::any_io_executor executor, Transport kind,
                  std::string remote_address, std::string handshake_ticket = {});
  ~StompConnection() override;

  // Registers with the hub and starts the timers. Call once, on the executor.
  void start(ConnectionTransport& transport);

  // From the transport, on the executor.
  void on_data(std::string_view bytes);
  void on_transport_closed(std::string_view reason);

  // Moves queued output into `into` (at least one item when any is queued, then up to `max_bytes`
  // and `max_items`). Returns the number of bytes taken.
  std::size_t take_output(std::vector<stomp::Outbound>& into, std::size_t max_bytes,
                          std::size_t max_items = static_cast<std::size_t>(-1));
  bool has_output() const { return !outbound_.empty(); }
  // The engine asked to close and all of its output has been taken.
  bool should_close() const { return close_requested_ && outbound_.empty(); }

  // From any thread.
  void deliver_async(std::string subscription_id, std::shared_ptr<const stomp::Message> message);
  void shutdown_async(std::string reason);

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
  std::string send(const stomp::Frame& frame) override;
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
  std::string refresh_credential(const stomp::Frame& frame);
  // A since-seq replay came back: deliver it, then what arrived live meanwhile, without repeats.
  void finish_replay(const std::string& subscription_id,
                     std::vector<std::shared_ptr<const stomp::Message>> replayed);
  void count_frame_out(const stomp::Outbound& out);

  Services& services_;
  boost::asio::any_io_executor executor_;
  const void* context_key_;
  Transport kind_;
  std::string remote_address_;
  std::string handshake_ticket_;  // single use; cleared once tried
  std::string login_id_;          // the login (refresh-token family) of the session's access token
  std::string id_;
  stomp::Engine engine_;
  ConnectionTransport* transport_ = nullptr;  // null once the transport is gone
  boost::asio::steady_timer timer_;
  std::chrono::steady_clock::time_point opened_at_;

  // Subscriptions catching up with since-seq: live messages wait here until the replay is in.
  struct Replay {
    std::uint64_t since = 0;
    std::vector<std::shared_ptr<const stomp::Message>> held;
  };
  std::unordered_map<std::string, Replay> replays_;

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
