#include "net/redis_bus.hpp"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <charconv>
#include <chrono>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "util/thread_name.hpp"

namespace aicc::net {
namespace asio = boost::asio;

namespace {

constexpr std::string_view kChannelPrefix = "aicc:";
constexpr const char* kAnchorChannel = "aicc-bus-anchor";
constexpr auto kFirstRetry = std::chrono::milliseconds(100);
constexpr auto kLastRetry = std::chrono::milliseconds(2000);
// Publishes sent but not yet answered by Redis; past it, new ones are dropped (and counted)
// rather than piling up in hiredis's buffer while Redis is slow.
constexpr std::size_t kMaxUnanswered = 100000;

std::int64_t unix_micros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Drives one redisAsyncContext from Asio: hiredis says when it wants to read or write (the ev
// hooks), and the descriptor's async_wait calls back into hiredis when the socket is ready. The
// descriptor is released, never closed, because the socket belongs to hiredis. Shared: a wait
// still pending when hiredis cleans up finds `context` null and does nothing.
struct AsioLink : std::enable_shared_from_this<AsioLink> {
  AsioLink(asio::io_context& io, redisAsyncContext* context)
      : context(context), socket(io, context->c.fd) {}

  redisAsyncContext* context;
  asio::posix::stream_descriptor socket;
  bool reading = false;
  bool writing = false;
  std::shared_ptr<AsioLink> self;  // kept alive by hiredis's ev.data until cleanup

  void wait_read() {
    socket.async_wait(asio::posix::stream_descriptor::wait_read,
                      [link = shared_from_this()](const boost::system::error_code& ec) {
                        if (ec || !link->context || !link->reading) return;
                        redisAsyncHandleRead(link->context);
                        if (link->context && link->reading) link->wait_read();
                      });
  }
  void wait_write() {
    socket.async_wait(asio::posix::stream_descriptor::wait_write,
                      [link = shared_from_this()](const boost::system::error_code& ec) {
                        if (ec || !link->context || !link->writing) return;
                        link->writing = false;
                        redisAsyncHandleWrite(link->context);
                      });
  }

  static void add_read(void* data) {
    auto* link = static_cast<AsioLink*>(data);
    if (link->reading) return;
    link->reading = true;
    link->wait_read();
  }
  static void del_read(void* data) { static_cast<AsioLink*>(data)->reading = false; }
  static void add_write(void* data) {
    auto* link = static_cast<AsioLink*>(data);
    if (link->writing) return;
    link->writing = true;
    link->wait_write();
  }
  static void del_write(void* data) { static_cast<AsioLink*>(data)->writing = false; }
  static void cleanup(void* data) {
    auto* link = static_cast<AsioLink*>(data);
    link->reading = false;
    link->writing = false;
    link->context = nullptr;
    boost::system::error_code ignored;
    link->socket.cancel(ignored);
    link->socket.release();
    link->self.reset();  // may destroy the link once no wait holds it
  }

  static void attach(asio::io_context& io, redisAsyncContext* context) {
    auto link = std::make_shared<AsioLink>(io, context);
    link->self = link;
    context->ev.data = link.get();
    context->ev.addRead = add_read;
    context->ev.delRead = del_read;
    context->ev.addWrite = add_write;
    context->ev.delWrite = del_write;
    context->ev.cleanup = cleanup;
  }
};

}  // namespace

RedisAddressResult parse_redis_url(std::string_view url) {
  RedisAddressResult result;
  if (url.starts_with("rediss://")) {
    result.error =
        "rediss:// (TLS) is not supported by this build; use redis:// on a private "
        "network or a TLS tunnel";
    return result;
  }
  if (!url.starts_with("redis://")) {
    result.error = "a Redis URL starts with redis://";
    return result;
  }
  std::string_view rest = url.substr(8);
  if (const auto at = rest.rfind('@'); at != std::string_view::npos) {
    const std::string_view credentials = rest.substr(0, at);
    rest.remove_prefix(at + 1);
    if (const auto colon = credentials.find(':'); colon != std::string_view::npos) {
      result.address.username = credentials.substr(0, colon);
      result.address.password = credentials.substr(colon + 1);
    } else {
      result.address.password = credentials;  // redis://password@host, as some tools write it
    }
  }
  std::string_view host_port = rest;
  if (const auto slash = rest.find('/'); slash != std::string_view::npos) {
    host_port = rest.substr(0, slash);
    const std::string_view db = rest.substr(slash + 1);
    if (!db.empty()) {
      int value = -1;
      const auto [end, ec] = std::from_chars(db.data(), db.data() + db.size(), value);
      if (ec != std::errc() || end != db.data() + db.size() || value < 0 || value > 1000) {
        result.error = "the database in a Redis URL is a number (redis://host:6379/0)";
        return result;
      }
      result.address.database = value;
    }
  }
  std::string_view host = host_port;
  if (const auto colon = host_port.rfind(':');
      colon != std::string_view::npos && host_port.find(']') < colon) {
    host = host_port.substr(0, colon);
  } else if (colon != std::string_view::npos && host_port.front() != '[') {
    host = host_port.substr(0, colon);
  }
  if (host.size() < host_port.size()) {
    const std::string_view port = host_port.substr(host.size() + 1);
    int value = 0;
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || end != port.data() + port.size() || value <= 0 || value > 65535) {
      result.error = "the port in a Redis URL is a number from 1 to 65535";
      return result;
    }
    result.address.port = value;
  }
  if (host.starts_with('[') && host.ends_with(']')) host = host.substr(1, host.size() - 2);
  if (host.empty()) {
    result.error = "a Redis URL names a host (redis://host:6379)";
    return result;
  }
  result.address.host = host;
  return result;
}

struct RedisBus::State : std::enable_shared_from_this<RedisBus::State> {
  State(RedisAddress address, std::string node_id)
      : address(std::move(address)),
        node_id(std::move(node_id)),
        work(asio::make_work_guard(io)),
        publish_retry(io),
        subscribe_retry(io) {}

  const RedisAddress address;
  const std::string node_id;
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> work;
  std::thread thread;

  // Owned by the bus's thread.
  redisAsyncContext* publisher = nullptr;
  redisAsyncContext* subscriber = nullptr;
  bool publisher_ready = false;   // connected and authenticated
  bool resync_needed = false;     // events were dropped since the last kResync went out
  bool subscriber_ready = false;  // connected, authenticated, subscriptions sent
  asio::steady_timer publish_retry;
  asio::steady_timer subscribe_retry;
  std::chrono::milliseconds publish_pause = kFirstRetry;
  std::chrono::milliseconds subscribe_pause = kFirstRetry;
  std::unordered_map<std::string, int> listening;  // channel -> listen() minus unlisten()
  std::unordered_set<std::string> subscribed;      // confirmed by Redis
  // UNSUBSCRIBE sent, reply not yet in. hiredis 0.14 registers a channel's callback when SUBSCRIBE
  // is sent and drops it when an UNSUBSCRIBE reply comes, so a SUBSCRIBE sent in between would
  // lose its callback: it waits for that reply instead.
  std::unordered_set<std::string> unsubscribing;
  std::size_t unanswered = 0;
  bool stopping = false;
  bool ever_connected_publisher = false;
  bool ever_connected_subscriber = false;

  // Read from any thread.
  mutable std::mutex receiver_mutex;
  Receiver receiver;
  std::atomic<std::uint64_t> published{0};
  std::atomic<std::uint64_t> received{0};
  std::atomic<std::uint64_t> dropped{0};
  std::atomic<std::uint64_t> reconnects{0};
  std::atomic<bool> connected{false};
  std::atomic<std::size_t> channels{0};
  std::atomic<std::int64_t> lag_us{0};

  void update_connected() {
    connected = publisher_ready && subscriber_ready && subscribed.size() == listening.size();
    channels = listening.size();
  }

  // Opens a connection (asynchronously: its connect callback says how it went).
  redisAsyncContext* open(bool subscriber_connection) {
    redisAsyncContext* context = redisAsyncConnect(address.host.c_str(), address.port);
    if (!context || context->err) {
      spdlog::warn("redis bus: cannot connect to {}:{}: {}", address.host, address.port,
                   context ? context->errstr : "out of memory");
      if (context) redisAsyncFree(context);
      return nullptr;
    }
    context->data = this;
    AsioLink::attach(io, context);
    redisAsyncSetConnectCallback(
        context, subscriber_connection ? on_subscriber_connect : on_publisher_connect);
    redisAsyncSetDisconnectCallback(
        context, subscriber_connection ? on_subscriber_disconnect : on_publisher_disconnect);
    return context;
  }

  // AUTH, when configured: the first command on the connection, so its reply comes before any
  // other's. (Pub/sub ignores the database number.)
  void authenticate(redisAsyncContext* context) {
    if (!address.password.empty()) {
      if (address.username.empty()) {
        redisAsyncCommand(context, on_auth_reply, nullptr, "AUTH %b", address.password.data(),
                          address.password.size());
      } else {
        redisAsyncCommand(context, on_auth_reply, nullptr, "AUTH %b %b", address.username.data(),
                          address.username.size(), address.password.data(),
                          address.password.size());
      }
    }
  }

  static void on_auth_reply(redisAsyncContext* context, void* reply_ptr, void*) {
    auto* reply = static_cast<redisReply*>(reply_ptr);
    if (reply && reply->type == REDIS_REPLY_ERROR) {
      spdlog::error("redis bus: AUTH refused: {}", std::string(reply->str, reply->len));
      redisAsyncDisconnect(context);
    }
  }

  void connect_publisher() {
    if (stopping) return;
    publisher = open(false);
    if (!publisher) retry_publisher();
  }

  void connect_subscriber() {
    if (stopping) return;
    subscriber = open(true);
    if (!subscriber) retry_subscriber();
  }

  void retry_publisher() {
    publish_retry.expires_after(publish_pause);
    publish_pause = std::min(publish_pause * 2, std::chrono::milliseconds(kLastRetry));
    publish_retry.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (!ec) self->connect_publisher();
    });
  }

  void retry_subscriber() {
    subscribe_retry.expires_after(subscribe_pause);
    subscribe_pause = std::min(subscribe_pause * 2, std::chrono::milliseconds(kLastRetry));
    subscribe_retry.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (!ec) self->connect_subscriber();
    });
  }

  static void on_publisher_connect(const redisAsyncContext* context, int status) {
    auto* state = static_cast<State*>(context->data);
    if (status != REDIS_OK) {
      spdlog::warn("redis bus: publisher connection to {}:{} failed: {}", state->address.host,
                   state->address.port, context->errstr);
      state->publisher = nullptr;  // hiredis frees it after this callback
      state->retry_publisher();
      return;
    }
    auto* mutable_context = const_cast<redisAsyncContext*>(context);
    state->authenticate(mutable_context);
    state->publisher_ready = true;
    state->publish_pause = kFirstRetry;
    // What was dropped while it was away is in the store: the other nodes read it from there.
    state->send_resync_if_needed();
    if (state->ever_connected_publisher) ++state->reconnects;
    state->ever_connected_publisher = true;
    state->update_connected();
    spdlog::info("redis bus: publisher connected to {}:{}", state->address.host,
                 state->address.port);
  }

  static void on_subscriber_connect(const redisAsyncContext* context, int status) {
    auto* state = static_cast<State*>(context->data);
    if (status != REDIS_OK) {
      spdlog::warn("redis bus: subscriber connection to {}:{} failed: {}", state->address.host,
                   state->address.port, context->errstr);
      state->subscriber = nullptr;
      state->retry_subscriber();
      return;
    }
    auto* mutable_context = const_cast<redisAsyncContext*>(context);
    state->authenticate(mutable_context);
    state->subscriber_ready = true;
    state->subscribe_pause = kFirstRetry;
    if (state->ever_connected_subscriber) ++state->reconnects;
    state->ever_connected_subscriber = true;
    state->subscribed.clear();
    state->unsubscribing.clear();
    state->send_anchor_subscribe();
    for (const auto& [channel, count] : state->listening) state->send_subscribe(channel);
    state->update_connected();
    spdlog::info("redis bus: subscriber connected to {}:{}, {} channels", state->address.host,
                 state->address.port, state->listening.size());
  }

  static void on_publisher_disconnect(const redisAsyncContext* context, int status) {
    auto* state = static_cast<State*>(context->data);
    state->publisher = nullptr;
    state->publisher_ready = false;
    // Publishes written but not answered may have died with the connection.
    if (state->unanswered > 0) state->resync_needed = true;
    state->unanswered = 0;
    state->update_connected();
    if (state->stopping) return;
    spdlog::warn("redis bus: publisher connection lost ({}); reconnecting",
                 status == REDIS_OK ? "closed" : context->errstr);
    state->retry_publisher();
  }

  static void on_subscriber_disconnect(const redisAsyncContext* context, int status) {
    auto* state = static_cast<State*>(context->data);
    state->subscriber = nullptr;
    state->subscriber_ready = false;
    state->subscribed.clear();
    state->unsubscribing.clear();
    state->update_connected();
    if (state->stopping) return;
    spdlog::warn("redis bus: subscriber connection lost ({}); reconnecting",
                 status == REDIS_OK ? "closed" : context->errstr);
    state->retry_subscriber();
  }

  // A channel nobody publishes to, subscribed first and never left: the connection then never
  // leaves subscribed mode, in which hiredis aborts the process on any reply it has no callback
  // for (an answer to an UNSUBSCRIBE crossing a SUBSCRIBE, say). Outside the bus's prefix, so its
  // replies are ignored.
  void send_anchor_subscribe() {
    redisAsyncCommand(subscriber, on_subscriber_reply, nullptr, "SUBSCRIBE %s", kAnchorChannel);
  }

  void send_subscribe(const std::string& channel) {
    const std::string name = std::string(kChannelPrefix) + channel;
    redisAsyncCommand(subscriber, on_subscriber_reply, nullptr, "SUBSCRIBE %b", name.data(),
                      name.size());
  }

  void send_unsubscribe(const std::string& channel) {
    unsubscribing.insert(channel);
    const std::string name = std::string(kChannelPrefix) + channel;
    redisAsyncCommand(subscriber, on_subscriber_reply, nullptr, "UNSUBSCRIBE %b", name.data(),
                      name.size());
  }

  // Every reply of the subscriber connection: subscribe and unsubscribe confirmations, messages.
  static void on_subscriber_reply(redisAsyncContext* context, void* reply_ptr, void*) {
    auto* state = static_cast<State*>(context->data);
    auto* reply = static_cast<redisReply*>(reply_ptr);
    if (!reply || reply->type != REDIS_REPLY_ARRAY || reply->elements < 3) return;
    const redisReply* kind = reply->element[0];
    const redisReply* channel = reply->element[1];
    if (kind->type != REDIS_REPLY_STRING || channel->type != REDIS_REPLY_STRING) return;
    const std::string_view kind_text(kind->str, kind->len);
    std::string_view name(channel->str, channel->len);
    if (!name.starts_with(kChannelPrefix)) return;
    name.remove_prefix(kChannelPrefix.size());
    if (kind_text == "message") {
      const redisReply* payload = reply->element[2];
      if (payload->type != REDIS_REPLY_STRING) return;
      state->deliver(std::string_view(payload->str, payload->len));
    } else if (kind_text == "subscribe") {
      const std::string subscribed_channel(name);
      // Confirmed after an UNSUBSCRIBE was already queued: nothing to report.
      if (!state->listening.contains(subscribed_channel)) return;
      state->subscribed.insert(subscribed_channel);
      state->update_connected();
      Receiver receiver = state->current_receiver();
      if (receiver.resubscribed) receiver.resubscribed(subscribed_channel);
    } else if (kind_text == "unsubscribe") {
      const std::string channel_name(name);
      state->subscribed.erase(channel_name);
      state->unsubscribing.erase(channel_name);
      // Listened to again meanwhile: its SUBSCRIBE waited for this reply.
      if (state->listening.contains(channel_name) && state->subscriber_ready) {
        state->send_subscribe(channel_name);
      }
      state->update_connected();
    }
  }

  Receiver current_receiver() const {
    std::lock_guard lock(receiver_mutex);
    return receiver;
  }

  void deliver(std::string_view payload) {
    std::optional<BusEvent> event = decode_bus_event(payload);
    if (!event) {
      ++dropped;
      spdlog::warn("redis bus: an event that does not decode ({} bytes) was dropped",
                   payload.size());
      return;
    }
    if (event->origin == node_id) return;  // our own, back from our subscription
    ++received;
    if (event->sent_at_us > 0)
      lag_us = std::max<std::int64_t>(0, unix_micros() - event->sent_at_us);
    Receiver receiver = current_receiver();
    if (receiver.event) receiver.event(*event);
  }

  // `nobody`, when set, is owned by the command (privdata) and called when the reply says that
  // no subscriber got the message (or the publish could not be made).
  static void on_publish_reply(redisAsyncContext* context, void* reply_ptr, void* privdata) {
    auto* state = static_cast<State*>(context->data);
    if (state->unanswered > 0) --state->unanswered;
    std::unique_ptr<std::function<void()>> nobody(static_cast<std::function<void()>*>(privdata));
    auto* reply = static_cast<redisReply*>(reply_ptr);
    if (nobody && (!reply || reply->type != REDIS_REPLY_INTEGER || reply->integer == 0)) {
      (*nobody)();
    }
  }

  // Tells every node that events of this one were dropped, once it can be sent.
  void send_resync_if_needed() {
    if (!resync_needed || !publisher_ready || !publisher) return;
    BusEvent resync;
    resync.kind = BusEvent::Kind::kResync;
    resync.origin = node_id;
    resync.sent_at_us = unix_micros();
    const std::string name = std::string(kChannelPrefix) + std::string(kControlChannel);
    const std::string payload = encode_bus_event(resync);
    if (redisAsyncCommand(publisher, on_publish_reply, nullptr, "PUBLISH %b %b", name.data(),
                          name.size(), payload.data(), payload.size()) == REDIS_OK) {
      ++unanswered;
      resync_needed = false;
      spdlog::info("redis bus: events were dropped meanwhile; the other nodes catch up");
    }
  }

  void send_publish(const std::string& channel, const std::string& payload,
                    std::function<void()> nobody = {}) {
    if (!publisher_ready || !publisher || unanswered >= kMaxUnanswered) {
      ++dropped;
      resync_needed = true;
      if (nobody) nobody();
      return;
    }
    send_resync_if_needed();
    const std::string name = std::string(kChannelPrefix) + channel;
    auto* privdata = nobody ? new std::function<void()>(std::move(nobody)) : nullptr;
    if (redisAsyncCommand(publisher, on_publish_reply, privdata, "PUBLISH %b %b", name.data(),
                          name.size(), payload.data(), payload.size()) != REDIS_OK) {
      ++dropped;
      resync_needed = true;
      if (privdata) {
        std::unique_ptr<std::function<void()>> owned(privdata);
        (*owned)();
      }
      return;
    }
    ++unanswered;
    ++published;
  }

  void stop() {
    stopping = true;
    publish_retry.cancel();
    subscribe_retry.cancel();
    // Forgotten before they are let go: hiredis frees a context whose connection is still being
    // made at once and without a callback (a pointer kept would be freed again by ~RedisBus), and
    // one with replies due once they came. Either way it is hiredis' to free from here on.
    redisAsyncContext* const closing_publisher = std::exchange(publisher, nullptr);
    redisAsyncContext* const closing_subscriber = std::exchange(subscriber, nullptr);
    if (closing_publisher) redisAsyncDisconnect(closing_publisher);
    if (closing_subscriber) redisAsyncDisconnect(closing_subscriber);
    work.reset();
  }
};

RedisBus::RedisBus(RedisAddress address, std::string node_id)
    : state_(std::make_shared<State>(std::move(address), std::move(node_id))) {
  asio::post(state_->io, [state = state_] {
    state->connect_publisher();
    state->connect_subscriber();
  });
  state_->thread = std::thread([state = state_] {
    util::name_this_thread("aicc-redis-bus");
    while (true) {
      try {
        state->io.run();
        return;
      } catch (const std::exception& e) {
        spdlog::error("redis bus: a task failed: {}", e.what());
      }
    }
  });
}

RedisBus::~RedisBus() {
  asio::post(state_->io, [state = state_] { state->stop(); });
  // Bounded: a Redis that does not answer the disconnect must not hold the shutdown.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (!state_->io.stopped() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  state_->io.stop();
  if (state_->thread.joinable()) state_->thread.join();
  // hiredis contexts still open (a stop cut short) are freed with their sockets.
  if (state_->publisher) redisAsyncFree(state_->publisher);
  if (state_->subscriber) redisAsyncFree(state_->subscriber);
  state_->publisher = nullptr;
  state_->subscriber = nullptr;
}

const std::string& RedisBus::node_id() const { return state_->node_id; }

void RedisBus::publish(const std::string& channel, BusEvent event) {
  event.origin = state_->node_id;
  event.sent_at_us = unix_micros();
  asio::post(state_->io, [state = state_, channel, payload = encode_bus_event(event)] {
    state->send_publish(channel, payload);
  });
}

void RedisBus::publish_to_listener(const std::string& channel, BusEvent event,
                                   std::function<void()> nobody) {
  event.origin = state_->node_id;
  event.sent_at_us = unix_micros();
  asio::post(state_->io, [state = state_, channel, payload = encode_bus_event(event),
                          nobody = std::move(nobody)]() mutable {
    state->send_publish(channel, payload, std::move(nobody));
  });
}

void RedisBus::listen(const std::string& channel) {
  asio::post(state_->io, [state = state_, channel] {
    if (++state->listening[channel] == 1 && state->subscriber_ready &&
        !state->unsubscribing.contains(channel)) {
      state->send_subscribe(channel);
    }
    state->update_connected();
  });
}

void RedisBus::unlisten(const std::string& channel) {
  asio::post(state_->io, [state = state_, channel] {
    auto it = state->listening.find(channel);
    if (it == state->listening.end()) return;
    if (--it->second > 0) return;
    state->listening.erase(it);
    // An UNSUBSCRIBE still unanswered means no SUBSCRIBE went out since (listen() waits for that
    // answer): a second one would be answered after the connection may have left subscribed mode.
    if (state->subscriber_ready && !state->unsubscribing.contains(channel))
      state->send_unsubscribe(channel);
    state->update_connected();
  });
}

void RedisBus::set_receiver(Receiver receiver) {
  std::lock_guard lock(state_->receiver_mutex);
  state_->receiver = std::move(receiver);
}

BusFigures RedisBus::figures() const {
  BusFigures figures;
  figures.published = state_->published;
  figures.received = state_->received;
  figures.dropped = state_->dropped;
  figures.reconnects = state_->reconnects;
  figures.connected = state_->connected;
  figures.channels = state_->channels;
  figures.lag_ms = static_cast<double>(state_->lag_us.load()) / 1000.0;
  return figures;
}

}  // namespace aicc::net
