#include "net/hub.hpp"

#include <algorithm>
#include <boost/asio/post.hpp>
#include <chrono>

#include "broker/destination.hpp"
#include "net/bus.hpp"
#include "net/flush_queue.hpp"
#include "net/metrics.hpp"
#include "net/stomp_connection.hpp"

namespace aicc::net {

namespace {

// Topics fan out across nodes; user keys travel on user channels, /queue/** stays on its node.
bool is_bus_topic(const std::string& key) { return key.starts_with("/topic/"); }

}  // namespace

Hub::Hub(Metrics& metrics) : metrics_(metrics) {}

void Hub::set_bus(Bus* bus) {
  bus_ = bus;
  if (bus_) bus_->listen(std::string(kControlChannel));
}

void Hub::to_bus(const std::string& channel, BusEvent event) {
  if (bus_) bus_->publish(channel, std::move(event));
}

void Hub::listen_locked(const std::string& key) {
  if (bus_ && is_bus_topic(key)) bus_->listen(topic_channel(key));
}

void Hub::unlisten_locked(const std::string& key) {
  if (bus_ && is_bus_topic(key)) bus_->unlisten(topic_channel(key));
}

void Hub::apply_remote(const BusEvent& event) {
  switch (event.kind) {
    case BusEvent::Kind::kPublish:
      deliver_to_all(event.destination, stomp::make_message(event.destination, event.content_type,
                                                            event.body, {}, event.seq));
      break;
    case BusEvent::Kind::kPublishToUsers:
      deliver_to_users(event.destination, event.user_ids,
                       stomp::make_message(event.destination, event.content_type, event.body));
      break;
    case BusEvent::Kind::kSendToUser:
      deliver_to_all(
          broker::user_key(event.user_id, event.destination),
          stomp::make_message("/user" + event.destination, event.content_type, event.body));
      break;
    case BusEvent::Kind::kUnsubscribeUser:
      unsubscribe_local_user(event.user_id, event.destination);
      break;
    case BusEvent::Kind::kCloseUserSessions:
      close_local_user_sessions(event.user_id, event.reason, event.login_id);
      break;
    case BusEvent::Kind::kCloseLoginSessions:
      close_local_login_sessions(event.login_id, event.reason);
      break;
    default:  // the contact center's kinds: not the Hub's
      break;
  }
}

void Hub::resubscribed(const std::string& channel) {
  const std::string prefix = topic_channel("");
  if (!channel.starts_with(prefix)) return;
  const std::string destination = channel.substr(prefix.size());
  std::vector<Registry::Entry> targets;
  {
    std::lock_guard lock(mutex_);
    registry_.for_each(destination,
                       [&](const Registry::Entry& entry) { targets.push_back(entry); });
  }
  for (const auto& target : targets)
    target.handle->catch_up_async(target.subscription_id, destination);
}

void Hub::catch_up_all() {
  std::vector<std::pair<std::string, Registry::Entry>> targets;
  {
    std::lock_guard lock(mutex_);
    registry_.for_each_key([&](const std::string& key, const Registry::Entry& entry) {
      targets.emplace_back(key, entry);
    });
  }
  // Subscriptions that are not streams (no position) do nothing.
  for (const auto& [key, target] : targets)
    target.handle->catch_up_async(target.subscription_id, key);
}

void Hub::subscribe(const std::string& key, const ConnectionPtr& connection,
                    const std::string& subscription_id, bool point_to_point) {
  std::deque<std::shared_ptr<const stomp::Message>> waiting;
  {
    std::lock_guard lock(mutex_);
    if (registry_.subscribers(key) == 0) listen_locked(key);
    registry_.add(key, connection, subscription_id);
    if (point_to_point) {
      auto it = backlog_.find(key);
      if (it != backlog_.end()) {
        waiting = std::move(it->second);
        backlog_.erase(it);
      }
    }
  }
  for (auto& message : waiting) connection->deliver_async(subscription_id, std::move(message));
}

void Hub::unsubscribe(const std::string& key, const ConnectionPtr& connection,
                      const std::string& subscription_id) {
  std::lock_guard lock(mutex_);
  if (registry_.remove(key, connection, subscription_id) && registry_.subscribers(key) == 0) {
    unlisten_locked(key);
  }
}

void Hub::unsubscribe_user(std::string_view user_id, std::string_view destination) {
  const std::string user(user_id);
  const std::string key(destination);
  unsubscribe_local_user(user, key);
  BusEvent event;
  event.kind = BusEvent::Kind::kUnsubscribeUser;
  event.user_id = user;
  event.destination = key;
  to_bus(user_channel(user), std::move(event));
}

void Hub::unsubscribe_local_user(const std::string& user_id, const std::string& key) {
  std::lock_guard lock(mutex_);
  auto sessions = by_user_.find(user_id);
  if (sessions == by_user_.end()) return;
  std::vector<Registry::Entry> gone;
  registry_.for_each(key, [&](const Registry::Entry& entry) {
    if (sessions->second.contains(entry.handle.get())) gone.push_back(entry);
  });
  for (const auto& entry : gone) registry_.remove(key, entry.handle, entry.subscription_id);
  if (!gone.empty() && registry_.subscribers(key) == 0) unlisten_locked(key);
}

void Hub::publish(std::string_view destination, std::string_view content_type,
                  std::string_view body) {
  publish_in_stream(destination, content_type, body, 0);
}

void Hub::publish_in_stream(std::string_view destination, std::string_view content_type,
                            std::string_view body, std::uint64_t seq) {
  const std::string key(destination);
  deliver_to_all(key, stomp::make_message(key, content_type, body, {}, seq));
  if (!bus_) return;
  BusEvent event;
  event.kind = BusEvent::Kind::kPublish;
  event.destination = key;
  event.content_type = content_type;
  event.body = body;
  event.seq = seq;
  to_bus(topic_channel(key), std::move(event));
}

void Hub::publish_to_users(std::string_view destination, const std::vector<std::string>& user_ids,
                           std::string_view content_type, std::string_view body) {
  const std::string key(destination);
  deliver_to_users(key, user_ids, stomp::make_message(key, content_type, body));
  if (!bus_) return;
  BusEvent event;
  event.kind = BusEvent::Kind::kPublishToUsers;
  event.destination = key;
  event.content_type = content_type;
  event.body = body;
  event.user_ids = user_ids;
  to_bus(topic_channel(key), std::move(event));
}

void Hub::deliver_to_users(const std::string& key, const std::vector<std::string>& user_ids,
                           const std::shared_ptr<const stomp::Message>& message) {
  std::vector<Registry::Entry> targets;
  {
    std::lock_guard lock(mutex_);
    std::unordered_set<const StompConnection*> wanted;
    for (const std::string& user_id : user_ids) {
      if (auto it = by_user_.find(user_id); it != by_user_.end())
        wanted.insert(it->second.begin(), it->second.end());
    }
    if (wanted.empty()) return;
    registry_.for_each(key, [&](const Registry::Entry& entry) {
      if (wanted.contains(entry.handle.get())) targets.push_back(entry);
    });
  }
  if (targets.empty()) return;
  post_deliveries(targets, message);
}

void Hub::send_to_user(std::string_view user_id, std::string_view destination,
                       std::string_view content_type, std::string_view body) {
  // Subscribers see the destination they subscribed to: /user/queue/...
  auto message = stomp::make_message("/user" + std::string(destination), content_type, body);
  deliver_to_all(broker::user_key(user_id, destination), message);
  if (!bus_) return;
  BusEvent event;
  event.kind = BusEvent::Kind::kSendToUser;
  event.user_id = user_id;
  event.destination = destination;
  event.content_type = content_type;
  event.body = body;
  to_bus(user_channel(user_id), std::move(event));
}

void Hub::deliver_to_all(const std::string& key,
                         const std::shared_ptr<const stomp::Message>& message) {
  std::vector<Registry::Entry> targets;
  {
    std::lock_guard lock(mutex_);
    targets.reserve(registry_.subscribers(key));
    registry_.for_each(key, [&](const Registry::Entry& entry) { targets.push_back(entry); });
  }
  post_deliveries(targets, message);
}

void Hub::deliver_to_one(const std::string& key,
                         const std::shared_ptr<const stomp::Message>& message) {
  std::optional<Registry::Entry> target;
  {
    std::lock_guard lock(mutex_);
    target = registry_.next(key);
    if (!target) {
      auto& waiting = backlog_[key];
      // A queue nobody reads must not grow without bound: the oldest message gives way.
      if (waiting.size() >= kQueueBacklog) {
        waiting.pop_front();
        metrics_.error("queue_backlog_overflow");
      }
      waiting.push_back(message);
      return;
    }
  }
  target->handle->deliver_async(std::move(target->subscription_id), message);
}

void Hub::deliver_group(const std::vector<Registry::Entry>& group,
                        const std::shared_ptr<const stomp::Message>& message) {
  const auto now = std::chrono::steady_clock::now();
  for (const auto& entry : group) entry.handle->deliver(entry.subscription_id, message, now);
  FlushQueue::of(group.front().handle->executor()).delivered(group.size());
}

void Hub::post_deliveries(std::vector<Registry::Entry>& targets,
                          const std::shared_ptr<const stomp::Message>& message) {
  if (targets.empty()) return;
  const void* first_context = targets.front().handle->context_key();
  if (std::all_of(targets.begin(), targets.end(), [first_context](const auto& t) {
        return t.handle->context_key() == first_context;
      })) {
    // All on one I/O thread (always so with one thread): one task, no sorting, no copy.
    auto executor = targets.front().handle->executor();
    boost::asio::post(executor,
                      [group = std::move(targets), message] { deliver_group(group, message); });
    return;
  }
  // One task per I/O thread rather than one per subscriber.
  std::sort(targets.begin(), targets.end(), [](const auto& a, const auto& b) {
    return std::less<>{}(a.handle->context_key(), b.handle->context_key());
  });
  std::size_t begin = 0;
  while (begin < targets.size()) {
    std::size_t end = begin + 1;
    while (end < targets.size() &&
           targets[end].handle->context_key() == targets[begin].handle->context_key()) {
      ++end;
    }
    std::vector<Registry::Entry> group(std::make_move_iterator(targets.begin() + begin),
                                       std::make_move_iterator(targets.begin() + end));
    auto executor = group.front().handle->executor();
    boost::asio::post(executor,
                      [group = std::move(group), message] { deliver_group(group, message); });
    begin = end;
  }
}

void Hub::attach(const ConnectionPtr& connection) {
  std::lock_guard lock(mutex_);
  connections_.emplace(connection.get(), connection);
}

void Hub::detach(const StompConnection* connection) {
  std::string gone;
  Presence gone_presence = Presence::kNone;
  {
    std::lock_guard lock(mutex_);
    connections_.erase(connection);
    if (auto it = user_of_.find(connection); it != user_of_.end()) {
      if (auto sessions = by_user_.find(it->second.user_id); sessions != by_user_.end()) {
        sessions->second.erase(connection);
        if (sessions->second.empty()) {
          by_user_.erase(sessions);
          if (bus_) bus_->unlisten(user_channel(it->second.user_id));
          if (it->second.presence != Presence::kNone) {
            gone = it->second.user_id;
            gone_presence = it->second.presence;
          }
        }
      }
      user_of_.erase(it);
    }
  }
  if (!gone.empty() && presence_) presence_(gone, gone_presence, false);
}

void Hub::set_presence_listener(PresenceListener listener) { presence_ = std::move(listener); }

bool Hub::bind_user(const std::string& user_id, const std::string& login_id, Presence presence,
                    const ConnectionPtr& connection, std::size_t max_sessions) {
  bool first = false;
  {
    std::lock_guard lock(mutex_);
    if (!connections_.contains(connection.get())) return true;  // already gone
    auto& sessions = by_user_[user_id];
    if (sessions.size() >= max_sessions && !sessions.contains(connection.get())) {
      if (sessions.empty()) by_user_.erase(user_id);
      return false;
    }
    user_of_[connection.get()] = Owner{user_id, login_id, presence};
    first = sessions.empty();
    if (first && bus_) bus_->listen(user_channel(user_id));
    sessions.insert(connection.get());
  }
  if (first && presence != Presence::kNone && presence_) presence_(user_id, presence, true);
  return true;
}

std::size_t Hub::close_user_sessions(const std::string& user_id, const std::string& reason,
                                     const std::string& login_id) {
  const std::size_t closed = close_local_user_sessions(user_id, reason, login_id);
  BusEvent event;
  event.kind = BusEvent::Kind::kCloseUserSessions;
  event.user_id = user_id;
  event.login_id = login_id;
  event.reason = reason;
  to_bus(user_channel(user_id), std::move(event));
  return closed;
}

std::size_t Hub::close_local_user_sessions(const std::string& user_id, const std::string& reason,
                                           const std::string& login_id) {
  std::vector<ConnectionPtr> sessions;
  {
    std::lock_guard lock(mutex_);
    auto it = by_user_.find(user_id);
    if (it == by_user_.end()) return 0;
    for (const StompConnection* raw : it->second) {
      if (!login_id.empty() && user_of_.at(raw).login_id != login_id) continue;
      sessions.push_back(connections_.at(raw));
    }
  }
  for (const auto& connection : sessions) connection->shutdown_async(reason);
  return sessions.size();
}

std::size_t Hub::close_login_sessions(const std::string& login_id, const std::string& reason) {
  if (login_id.empty()) return 0;
  const std::size_t closed = close_local_login_sessions(login_id, reason);
  BusEvent event;
  event.kind = BusEvent::Kind::kCloseLoginSessions;
  event.login_id = login_id;
  event.reason = reason;
  to_bus(std::string(kControlChannel), std::move(event));
  return closed;
}

std::size_t Hub::close_local_login_sessions(const std::string& login_id,
                                            const std::string& reason) {
  if (login_id.empty()) return 0;
  std::vector<ConnectionPtr> sessions;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [raw, owner] : user_of_) {
      if (owner.login_id == login_id) sessions.push_back(connections_.at(raw));
    }
  }
  for (const auto& connection : sessions) connection->shutdown_async(reason);
  return sessions.size();
}

std::vector<ConnectionPtr> Hub::connections() const {
  std::lock_guard lock(mutex_);
  std::vector<ConnectionPtr> out;
  out.reserve(connections_.size());
  for (const auto& [raw, connection] : connections_) out.push_back(connection);
  return out;
}

std::size_t Hub::subscription_count() const {
  std::lock_guard lock(mutex_);
  return registry_.size();
}

}  // namespace aicc::net
