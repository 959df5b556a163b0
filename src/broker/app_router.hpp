// The destinations clients may use, each registered once with who may use it.
//
// SEND: a feature registers each /app/** destination with its handler; SUBSCRIBE: each destination
// (or family of destinations, by prefix) with an optional guard that knows more (a room: its
// participants only). The roles that may use it and the rate class that limits it come from the
// one list of destinations (broker/destination_catalog.hpp): registering one it lacks throws, and
// unregistered() names the listed ones nobody registered. Authorization is fail-closed: a
// destination nobody registered does not exist, whatever the role; there is no default rule.
//
// A handler gets who sent what and answers with an AppResult: done (the RECEIPT goes now),
// refused (it already sent the refusal to the user's /user/queue/errors, no RECEIPT) or a
// protocol fault (ERROR + close: a forbidden use). A handler that hands the work to another thread
// takes `message.defer()` first and settles it there once the effect is durable: only then does the
// client get its RECEIPT. A completion dropped unsettled counts as refused, so an exception or a
// shutdown never confirms what was not done.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "auth/destination_policy.hpp"
#include "broker/destination_catalog.hpp"
#include "stomp/engine.hpp"

namespace aicc::broker {

// Settles one deferred SEND, from any thread, once. Copies share the one answer.
class SendCompletion {
 public:
  SendCompletion() = default;
  explicit SendCompletion(std::function<void(bool stored)> settle)
      : state_(std::make_shared<State>(std::move(settle))) {}

  // The effect is durable: the RECEIPT may go.
  void stored() const { settle(true); }
  // Refused; the refusal (with the receipt-id) was sent to the user: no RECEIPT.
  void refused() const { settle(false); }

 private:
  struct State {
    explicit State(std::function<void(bool)> fn) : settle(std::move(fn)) {}
    ~State() {
      if (settle) settle(false);
    }
    std::function<void(bool)> settle;
  };
  void settle(bool stored) const {
    if (!state_ || !state_->settle) return;
    std::exchange(state_->settle, nullptr)(stored);
  }
  std::shared_ptr<State> state_;
};

struct AppResult {
  enum class Kind { kDone, kRefused, kFault };
  Kind kind = Kind::kDone;
  std::string reason;  // kFault: the ERROR's message

  static AppResult done() { return {}; }
  static AppResult refused() { return {Kind::kRefused, {}}; }
  static AppResult fault(std::string reason) { return {Kind::kFault, std::move(reason)}; }
};

struct AppMessage {
  const stomp::Identity& sender;
  std::string_view session_id;
  std::string_view destination;
  std::string_view content_type;
  std::string_view body;
  const stomp::Frame& frame;  // for headers such as receipt or a request id
  // Answer later (see above). Returns the completion to settle; the RECEIPT waits for it.
  std::function<SendCompletion()> defer;
};

using AppHandler = std::function<AppResult(const AppMessage&)>;

struct SendRoute {
  auth::Roles roles;
  RateClass rate = RateClass::kChat;
  AppHandler handler;
};

// Extra check on SUBSCRIBE: empty allows, else the refusal. Any thread.
using SubscribeGuard =
    std::function<std::string(const std::string& user_id, std::string_view destination)>;

struct SubscribeRoute {
  auth::Roles roles;
  SubscribeGuard guard;  // may be empty
};

class AppRouter {
 public:
  // `catalog` must outlive the router; tests pass lists of their own.
  explicit AppRouter(std::span<const DestinationSpec> catalog = destination_catalog())
      : catalog_(catalog) {}

  // SEND to exactly `destination`, a kSend entry of the catalog (else std::logic_error).
  void add(std::string_view destination, AppHandler handler);
  const SendRoute* find(std::string_view destination) const {
    auto it = sends_.find(destination);
    return it == sends_.end() ? nullptr : &it->second;
  }

  // SUBSCRIBE to a kSubscribe entry of the catalog (else std::logic_error): exactly its name, or
  // for a family ("/topic/room/{roomId}", registered as "/topic/room/") any destination under it.
  void add_subscription(std::string_view destination, SubscribeGuard guard = {});
  // The most specific registration that covers `destination`, or nullptr (unknown destination).
  const SubscribeRoute* find_subscription(std::string_view destination) const;

  // The catalog's destinations that nothing registered (answered_by_connection ones aside), as
  // "send /app/x" or "subscribe /topic/y".
  std::vector<std::string> unregistered() const;

 private:
  std::span<const DestinationSpec> catalog_;
  std::map<std::string, SendRoute, std::less<>> sends_;
  std::map<std::string, SubscribeRoute, std::less<>> subscriptions_;
};

}  // namespace aicc::broker
