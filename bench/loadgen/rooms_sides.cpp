#include "bench/loadgen/rooms_sides.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <random>

namespace aicc::loadgen {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

constexpr std::string_view kStatus = "/user/queue/consult/status";
constexpr std::string_view kErrors = "/user/queue/errors";
constexpr std::string_view kOffers = "/topic/consult/request";
constexpr std::string_view kAssignments = "/user/queue/agent/assignment";

std::optional<json::object> object_of(const std::string& body) {
  boost::system::error_code error;
  json::value value = json::parse(body, error);
  if (error || !value.is_object()) return std::nullopt;
  return std::move(value.as_object());
}

std::string text_of(const json::object& object, std::string_view key) {
  const json::value* value = object.if_contains(key);
  return value != nullptr && value->is_string() ? std::string(value->as_string()) : std::string();
}

// A chat message in a room from the other side: one delivery and its latency.
void on_room_message(Rooms& rooms, const Side& me, const std::string& body) {
  auto message = object_of(body);
  if (!message || !message->contains("text") || text_of(*message, "senderId") == me.user_id) return;
  Worker& w = rooms.w;
  const std::int64_t now = now_ns();
  w.tally.add("delivered");
  w.tally.latest("lastDeliveryNs", static_cast<double>(now));
  const std::string text = text_of(*message, "text");
  try {
    w.tally.latencies_ns.push_back(now - std::stoll(text));
  } catch (const std::logic_error&) {
    w.tally.note("a room message without a send time: " + text.substr(0, 60));
  }
}

void on_domain_error(Rooms& rooms, const std::string& who, const std::string& body) {
  // An accept that lost to an auto-assignment (already_assigned), or came while leftovers of an
  // earlier run filled the agent (at_capacity): the rooms made are counted all the same.
  for (std::string_view benign : {"\"already_assigned\"", "\"at_capacity\""}) {
    if (body.find(benign) != std::string::npos) return;
  }
  rooms.w.tally.add("domainErrors");
  rooms.w.tally.note(who + " got a domain error: " + body.substr(0, 200));
}

// Handles what every room side hears; false when the connection is to end.
bool common(Rooms& rooms, Side& me, stomp::Frame& frame, std::optional<stomp::Frame>& error) {
  if (frame.command == stomp::Command::kError) {
    error = std::move(frame);
    return false;
  }
  if (frame.command == stomp::Command::kReceipt) {
    const std::string_view id = frame.get("receipt-id");
    if (me.window && me.window->settle(id)) return true;
    if (id == "room") ++rooms.room_receipts;
    if (id == "closed") ++rooms.closed;
  } else if (frame.command == stomp::Command::kMessage) {
    const std::string_view destination = frame.get("destination");
    if (destination.starts_with(kRoomPrefix)) on_room_message(rooms, me, frame.body);
    if (destination == kErrors) on_domain_error(rooms, me.user_id, frame.body);
  }
  return true;
}

// A room the server gave agent k: one of this worker's rooms; or a request an earlier run left
// waiting, handed over by an auto-assignment, which is closed so that leftovers do not pile up.
void on_assignment(Rooms& rooms, int k, StompClient& client, const std::string& body) {
  Worker& w = rooms.w;
  auto assignment = object_of(body);
  if (!assignment) return;
  const std::string room_id = text_of(*assignment, "roomId");
  const json::value* customer = assignment->if_contains("customer");
  const std::string customer_id = customer != nullptr && customer->is_object()
                                      ? text_of(customer->as_object(), "id")
                                      : std::string();
  if (!customer_id.starts_with(rooms.customer_prefix)) {
    client.send("/app/room.close", json::serialize(json::object{{"roomId", room_id}}));
    w.tally.add("leftoverRoomsClosed");
    return;
  }
  std::uint64_t r = 0;
  try {
    r = std::stoull(customer_id.substr(rooms.customer_prefix.size()));
  } catch (const std::logic_error&) {
    return;
  }
  if (r >= w.first && r < w.first + w.count) {
    rooms.join(room_id, -1, k);
  } else {
    w.tally.note(
        "a room went to an agent of another process (an auto-assignment?): give the server a long "
        "routing.auto-assign-after for this scenario");
  }
}

}  // namespace

asio::awaitable<void> room_customer(std::shared_ptr<Rooms> shared, int k) {
  Rooms& rooms = *shared;
  Worker& w = rooms.w;
  Side& me = rooms.customers[k];
  me.client = w.new_client();
  const std::uint64_t r = w.first + static_cast<std::uint64_t>(k);
  const Identity identity{me.user_id, "CUSTOMER", "Bench customer " + std::to_string(r)};
  const bool up = co_await w.connect(*me.client, 2 * r, identity);
  if (!up) co_return;
  w.tally.add("connected");
  auto client = me.client;
  client->subscribe(kStatus, "status");
  client->subscribe(kErrors, "errors", "setup");
  std::optional<stomp::Frame> error;
  for (;;) {
    std::optional<stomp::Frame> frame = co_await client->next();
    if (!frame) break;
    if (frame->command == stomp::Command::kReceipt && frame->get("receipt-id") == "setup") {
      client->send("/app/consult.request", R"({"category":"loadgen","reason":"load test"})");
    } else if (frame->command == stomp::Command::kMessage && frame->get("destination") == kStatus) {
      auto status = object_of(frame->body);
      if (!status || !me.room_id.empty()) continue;
      me.request_id = text_of(*status, "requestId");
      const std::string state = text_of(*status, "status");
      const std::string room_id = text_of(*status, "roomId");
      if (!room_id.empty() && (state == "connected" || state == "auto_assigned")) {
        me.room_id = room_id;
        rooms.join(room_id, k, -1);
      }
    } else if (!common(rooms, me, *frame, error)) {
      break;
    }
  }
  w.lost(*client, error ? &*error : nullptr);
  client->close();
}

asio::awaitable<void> room_agent(std::shared_ptr<Rooms> shared, int k) {
  Rooms& rooms = *shared;
  Worker& w = rooms.w;
  Side& me = rooms.agents[k];
  me.client = w.new_client();
  const std::uint64_t r = w.first + static_cast<std::uint64_t>(k);
  const Identity identity{me.user_id, "AGENT", "Bench agent " + std::to_string(r)};
  const bool up = co_await w.connect(*me.client, 2 * r + 1, identity);
  if (!up) {
    ++rooms.agents_in;  // as far as waiting for it goes
    co_return;
  }
  w.tally.add("connected");
  auto client = me.client;
  client->subscribe(kOffers, "offers");
  client->subscribe(kAssignments, "assignments");
  client->subscribe(kErrors, "errors", "setup");
  std::optional<stomp::Frame> error;
  bool logged_in = false;
  bool counted = false;  // in rooms.agents_in
  std::string waiting;   // the request of our customer, offered before the login went out
  auto accept = [&client](const std::string& request_id) {
    client->send("/app/agent.accept", json::serialize(json::object{{"requestId", request_id}}));
  };
  for (;;) {
    std::optional<stomp::Frame> frame = co_await client->next();
    if (!frame) break;
    const std::string_view destination = frame->get("destination");
    if (frame->command == stomp::Command::kReceipt && frame->get("receipt-id") == "setup") {
      client->send("/app/agent.login", "{}", "login");
      logged_in = true;  // frames of one connection are handled in order: an accept comes after it
      if (!waiting.empty()) accept(waiting);
    } else if (frame->command == stomp::Command::kReceipt && frame->get("receipt-id") == "login") {
      counted = true;
      ++rooms.agents_in;
    } else if (frame->command == stomp::Command::kMessage && destination == kOffers) {
      auto offer = object_of(frame->body);
      if (offer && text_of(*offer, "customerId") == me.partner_id) {
        if (logged_in) {
          accept(text_of(*offer, "requestId"));
        } else {
          waiting = text_of(*offer, "requestId");
        }
      }
    } else if (frame->command == stomp::Command::kMessage && destination == kAssignments) {
      on_assignment(rooms, k, *client, frame->body);
    } else if (!common(rooms, me, *frame, error)) {
      break;
    }
  }
  if (!counted) ++rooms.agents_in;  // gone before its login came back: nothing to wait for
  w.lost(*client, error ? &*error : nullptr);
  client->close();
}

// Starts at a random point of the first interval, so that rooms do not send in lockstep.
asio::awaitable<void> room_sender(std::shared_ptr<Rooms> shared,
                                  std::shared_ptr<StompClient> client, std::string room_id,
                                  std::string tag) {
  Rooms& rooms = *shared;
  Worker& w = rooms.w;
  const Options& o = w.options;
  thread_local std::mt19937 random{std::random_device{}()};
  const double interval_s = 1.0 / o.rate;
  const double offset_s = std::uniform_real_distribution<double>(0, interval_s)(random);
  const auto start = Clock::now();
  const auto end =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.hold_s));
  asio::steady_timer pace(w.io);
  for (std::uint64_t k = 0; !client->closed() && !w.expired(); ++k) {
    const auto due =
        start + std::chrono::duration_cast<Clock::duration>(
                    std::chrono::duration<double>(offset_s + static_cast<double>(k) * interval_s));
    if (due >= end) break;
    pace.expires_at(due);
    co_await pace.async_wait(kNoThrow);
    if (client->closed()) break;
    const std::string body =
        json::serialize(json::object{{"roomId", room_id},
                                     {"text", std::to_string(now_ns())},
                                     {"clientMessageId", tag + "-" + std::to_string(k)}});
    client->send("/app/room.send", body);
    w.tally.add("sent");
  }
  --rooms.senders;
}

asio::awaitable<void> durable_room_sender(std::shared_ptr<Rooms> shared, int customer,
                                          std::string room_id) {
  Side& me = shared->customers[static_cast<std::size_t>(customer)];
  std::shared_ptr<StompClient> client = me.client;
  me.window = std::make_shared<ReceiptWindow>(shared->w);
  std::shared_ptr<ReceiptWindow> window = me.window;
  co_await window->run(
      [&](const std::string& receipt, std::int64_t now) {
        client->send(
            "/app/room.send",
            json::serialize(json::object{
                {"roomId", room_id}, {"text", std::to_string(now)}, {"clientMessageId", receipt}}),
            receipt);
      },
      [&] { return !client->closed(); });
  --shared->senders;
}

}  // namespace aicc::loadgen
