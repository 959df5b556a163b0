// The in-process broker hub: subscriptions of every connection on every I/O thread, and the
// delivery of published messages to them.
//
// The registry is shared by all threads behind one mutex, held only to read or change the
// subscriber lists (never while delivering). Deliveries are posted to each subscriber's own
// I/O thread, one task per thread per publish, so a publish costs one lock and a handful of posts
// however many subscribers it has. Posting from one thread to another keeps FIFO order, so two
// messages from one sender reach every subscriber in the order they were sent.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "broker/publisher.hpp"
#include "broker/registry.hpp"
#include "stomp/message.hpp"

namespace aicc::net {

class StompConnection;
class Metrics;
class Bus;
struct BusEvent;
using ConnectionPtr = std::shared_ptr<StompConnection>;

class Hub final : public broker::Publisher {
 public:
  // Messages kept for a /queue/** destination that has no subscriber yet.
  static constexpr std::size_t kQueueBacklog = 1000;

  explicit Hub(Metrics& metrics);

  // Joins this node's Hub to the others through `bus` (not owned; outlives the Hub's use).
  // Called once, before serving; without it the Hub is one node's alone.
  void set_bus(Bus* bus);
  // Applies an event from another node to this node's subscribers and sessions only.
  void apply_remote(const BusEvent& event);
  // The bus listens on `channel` again after a gap (Redis was out of reach): events of it may
  // have been missed, so each local subscription of a topic catches up from the store at once
  // (a sequenced stream; others have nothing to catch up), instead of at its next message.
  void resubscribed(const std::string& channel);
  // Another node dropped events (BusEvent::kResync): every local stream subscription catches up.
  void catch_up_all();

  // `key` is the destination, or broker::user_key() for user destinations.
  void subscribe(const std::string& key, const ConnectionPtr& connection,
                 const std::string& subscription_id, bool point_to_point);
  void unsubscribe(const std::string& key, const ConnectionPtr& connection,
                   const std::string& subscription_id);

  // broker::Publisher
  void publish(std::string_view destination, std::string_view content_type,
               std::string_view body) override;
  void publish_to_users(std::string_view destination, const std::vector<std::string>& user_ids,
                        std::string_view content_type, std::string_view body) override;
  void send_to_user(std::string_view user_id, std::string_view destination,
                    std::string_view content_type, std::string_view body) override;
  void publish_in_stream(std::string_view destination, std::string_view content_type,
                         std::string_view body, std::uint64_t seq) override;
  void unsubscribe_user(std::string_view user_id, std::string_view destination) override;

  // Fan-out of an already built message to every subscriber of `key`.
  void deliver_to_all(const std::string& key, const std::shared_ptr<const stomp::Message>& message);
  // Point-to-point: one subscriber of `key` (round robin), or the backlog when there is none.
  void deliver_to_one(const std::string& key, const std::shared_ptr<const stomp::Message>& message);

  // Live connections, for shutdown and for actions on all of a user's sessions.
  void attach(const ConnectionPtr& connection);
  void detach(const StompConnection* connection);
  // Records whose connection this is, and under which login, once CONNECT has authenticated it,
  // and again when /app/auth.refresh gives it a token of another login. False (and nothing
  // recorded) when the user already holds `max_sessions` other sessions.
  // Whose presence is followed: agents (routing) and customers (their requests and rooms).
  enum class Presence : std::uint8_t { kNone, kAgent, kCustomer };
  bool bind_user(const std::string& user_id, const std::string& login_id, Presence presence,
                 const ConnectionPtr& connection, std::size_t max_sessions);
  // Told when an agent's or a customer's first connection is bound and when their last one
  // closes. Called outside the hub's lock, on whichever thread made the change. Set before
  // serving.
  using PresenceListener =
      std::function<void(const std::string& user_id, Presence presence, bool connected)>;
  void set_presence_listener(PresenceListener listener);
  // Ends the live STOMP sessions of a user with ERROR `reason`: those of one login (a logout on one
  // device leaves the user's other devices alone), or all of them when `login_id` is empty.
  std::size_t close_user_sessions(const std::string& user_id, const std::string& reason,
                                  const std::string& login_id = {});
  // Ends the live STOMP sessions opened under one login (refresh-token family), whoever's, with
  // ERROR `reason`; the login was revoked.
  std::size_t close_login_sessions(const std::string& login_id, const std::string& reason);
  std::vector<ConnectionPtr> connections() const;
  std::size_t subscription_count() const;

 private:
  using Registry = broker::Registry<ConnectionPtr>;
  void post_deliveries(std::vector<Registry::Entry>& targets,
                       const std::shared_ptr<const stomp::Message>& message);
  // On the subscribers' I/O thread: delivers to each, then tells the thread's flush queue.
  static void deliver_group(const std::vector<Registry::Entry>& group,
                            const std::shared_ptr<const stomp::Message>& message);
  // The local halves of the Publisher calls and session actions, shared with apply_remote().
  void deliver_to_users(const std::string& key, const std::vector<std::string>& user_ids,
                        const std::shared_ptr<const stomp::Message>& message);
  void unsubscribe_local_user(const std::string& user_id, const std::string& key);
  std::size_t close_local_user_sessions(const std::string& user_id, const std::string& reason,
                                        const std::string& login_id);
  std::size_t close_local_login_sessions(const std::string& login_id, const std::string& reason);
  // Sends on the bus, when there is one.
  void to_bus(const std::string& channel, BusEvent event);
  // The caller holds mutex_: listens on the topic channel of `key` when it is a bus topic.
  void listen_locked(const std::string& key);
  void unlisten_locked(const std::string& key);

  Bus* bus_ = nullptr;

  Metrics& metrics_;
  mutable std::mutex mutex_;  // guards everything below
  Registry registry_;
  std::unordered_map<std::string, std::deque<std::shared_ptr<const stomp::Message>>> backlog_;
  std::unordered_map<const StompConnection*, ConnectionPtr> connections_;
  std::unordered_map<std::string, std::unordered_set<const StompConnection*>> by_user_;
  struct Owner {
    std::string user_id;
    std::string login_id;
    Presence presence = Presence::kNone;
  };
  PresenceListener presence_;
  std::unordered_map<const StompConnection*, Owner> user_of_;
};

}  // namespace aicc::net
