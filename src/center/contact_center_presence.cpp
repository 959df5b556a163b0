// Customers' presence and idle rooms, decided where routing is. Presence (see
// customer_presence.hpp): every node reports its customers' first and last connections to the
// routing authority (on the bus, or directly on one node). A customer gone from every node for
// kGoneNoticeMs is announced in their open room
// (`customer_presence`, present false; true when they come back), so the agent knows the other
// side closed the page; one gone past routing.customer-grace with a request still waiting has it
// withdrawn, so nobody is handed a chat with a customer who left (they may ask again on return).
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/post.hpp>

#include "center/contact_center.hpp"
#include "center/service_util.hpp"
#include "net/bus.hpp"

namespace aicc::center {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;

// A reload or a network switch closes and reopens the connection within a second or two: only an
// absence longer than this is told to the agent.
constexpr chat::Millis kGoneNoticeMs = 5000;
// Idle rooms are looked for a few times per idle period, at most once a second and at least once a
// minute (the query reads every open room's newest message), so many at a time (the rest at the
// next sweep).
constexpr chat::Millis kIdleSweepMinMs = 1000;
constexpr chat::Millis kIdleSweepMaxMs = 60'000;
constexpr std::size_t kIdleRoomsPerSweep = 200;

}  // namespace

void ContactCenter::customer_presence(const std::string& customer_id, bool connected) {
  asio::post(executor_, [this, customer_id, connected] {
    try {
      if (lease_.held()) {
        on_customer_presence(customer_id, lease_.node_id(), connected);
      } else if (bus_ != nullptr) {
        net::BusEvent event;
        event.kind = net::BusEvent::Kind::kCustomerPresence;
        event.user_id = customer_id;
        event.seq = connected ? 1 : 0;
        bus_->publish(std::string(net::kRoutingChannel), std::move(event));
      }
    } catch (const std::exception& e) {
      spdlog::warn("contact center: customer presence: {}", e.what());
    }
  });
}

void ContactCenter::on_customer_presence(const std::string& customer_id, const std::string& node,
                                         bool connected) {
  const chat::Millis now = now_ms();
  if (customers_.set(customer_id, node, connected, now)) announce_customer(customer_id, true);
  // Only an absence that matters is followed: a waiting request, or a room.
  if (!connected && !customers_.announced(customer_id) && !routing_.customer_status(customer_id))
    customers_.forget(customer_id);
}

void ContactCenter::announce_customer(const std::string& customer_id, bool present) {
  const auto status = routing_.customer_status(customer_id);
  if (!status || status->room_id.empty()) return;
  rooms_.publish_event(status->room_id, json::object{{"type", "customer_presence"},
                                                     {"roomId", status->room_id},
                                                     {"userId", customer_id},
                                                     {"present", present}});
}

void ContactCenter::sweep_customers() {
  if (!lease_.held()) return;
  const chat::Millis now = now_ms();
  const chat::Millis grace = static_cast<chat::Millis>(config_.routing.customer_grace) * 1000;
  for (const CustomerPresence::Away& away : customers_.away()) {
    const auto status = routing_.customer_status(away.customer_id);
    if (!status) {  // nothing left to follow: no request, no room
      customers_.forget(away.customer_id);
      continue;
    }
    const chat::Millis gone_for = now - away.since;
    if (!away.announced && gone_for >= kGoneNoticeMs) {
      announce_customer(away.customer_id, false);
      customers_.mark_announced(away.customer_id);
    }
    if (gone_for >= grace && status->status == chat::ConsultStatus::kWaiting) {
      spdlog::info("contact center: customer {} left {} s ago; their request {} is withdrawn",
                   away.customer_id, gone_for / 1000, status->request_id);
      withdraw_request(away.customer_id, status->request_id, nullptr);
    }
  }
}

void ContactCenter::close_idle_rooms() {
  if (!lease_.held() || config_.routing.room_idle_close <= 0) return;
  const chat::Millis now = now_ms();
  const chat::Millis idle_ms = static_cast<chat::Millis>(config_.routing.room_idle_close) * 1000;
  if (now - last_idle_sweep_ < std::clamp(idle_ms / 4, kIdleSweepMinMs, kIdleSweepMaxMs)) return;
  last_idle_sweep_ = now;
  settle_room_writer();  // a room whose message is being stored is not idle
  for (const std::string& room_id : store_.idle_rooms(now - idle_ms, kIdleRoomsPerSweep)) {
    // The room hears why before the customer's status says it closed (a widget leaves the room
    // on that status and would not hear the reason after it).
    if (!end_room(room_id, "", now, "idle")) continue;  // closed meanwhile
    spdlog::info("contact center: room {} had no message for {} s; closed", room_id,
                 config_.routing.room_idle_close);
    apply(routing_.room_closed(room_id, "", now));  // by the server: no participant check
  }
}

bool ContactCenter::withdraw_request(const std::string& customer_id, const std::string& request_id,
                                     Request* request) {
  const chat::Millis now = now_ms();
  chat::Effects effects = routing_.cancel(customer_id, request_id, now);
  // A request waiting again (transferred to the queue, or its agent never came back) has a room:
  // withdrawing the request ends the room too.
  std::string room_id;
  bool refused = false;
  for (const chat::Effect& effect : effects) {
    if (std::holds_alternative<chat::Refusal>(effect)) refused = true;
    const auto* status = std::get_if<chat::CustomerStatus>(&effect);
    if (status != nullptr && status->status == chat::ConsultStatus::kCanceled)
      room_id = status->room_id;
  }
  apply(std::move(effects), request);
  if (refused) return false;  // the room stays
  if (!room_id.empty()) end_room(room_id, customer_id, now);
  return true;
}

bool ContactCenter::end_room(const std::string& room_id, const std::string& by, chat::Millis now,
                             std::string_view reason) {
  settle_room_writer();  // its last messages are published before it closes
  if (!store_.close_room(room_id, by, now)) return false;
  set_room_members(room_id, std::nullopt);
  json::object event{{"type", "closed"}, {"roomId", room_id}, {"by", by}};
  if (!reason.empty()) event["reason"] = reason;
  rooms_.publish_event(room_id, event);
  return true;
}

}  // namespace aicc::center
