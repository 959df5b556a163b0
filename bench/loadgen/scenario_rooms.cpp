// rooms (aicc only): this worker's rooms r in [first, first + count), each made of customer
// bench-customer-<run>-<r> and agent bench-agent-<run>-<r> through the contact center (see
// rooms_sides.hpp). Phase 0: all rooms exist; phase 1: both sides subscribed to their room;
// phase 2: both sides sent /app/room.send at --rate for --hold seconds; phase 3: deliveries are in
// and the rooms are closed.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "bench/loadgen/rooms_sides.hpp"

namespace aicc::loadgen {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;

}  // namespace

asio::awaitable<void> run_rooms(Worker& w) {
  auto shared = std::make_shared<Rooms>(w, "bench-customer-" + w.options.run_id + "-");
  Rooms& rooms = *shared;
  const int n = static_cast<int>(w.count);
  rooms.customers.resize(n);
  rooms.agents.resize(n);
  for (int k = 0; k < n; ++k) {
    const std::string r = std::to_string(w.first + static_cast<std::uint64_t>(k));
    rooms.customers[k].user_id = rooms.customer_prefix + r;
    rooms.agents[k].user_id = "bench-agent-" + w.options.run_id + "-" + r;
    rooms.agents[k].partner_id = rooms.customers[k].user_id;
  }
  // The agents log in before any customer asks, as a shift starts before the customers come (and
  // a login while requests wait has each of them offered again).
  const auto start = Clock::now();
  w.tally.earliest("firstLaunchNs", static_cast<double>(now_ns()));
  int launched = 0;
  for (; launched < n && !w.expired(); ++launched) {
    co_await w.pace(static_cast<std::uint64_t>(launched), start);
    asio::co_spawn(w.io, room_agent(shared, launched), asio::detached);
  }
  std::function<bool()> agents_in = [&rooms, launched] {
    return rooms.agents_in >= static_cast<std::uint64_t>(launched);
  };
  co_await w.until(std::move(agents_in));
  for (int k = 0; k < launched && !w.expired(); ++k) {
    co_await w.pace(static_cast<std::uint64_t>(n + k), start);
    asio::co_spawn(w.io, room_customer(shared, k), asio::detached);
  }
  // Phase 0: every room made (a failed connection leaves its room unmade: stop waiting 5 s after
  // the last room that came).
  const auto count = w.count;
  std::function<bool()> all_made = [&rooms, count] { return rooms.established >= count; };
  std::function<double()> made = [&rooms] { return static_cast<double>(rooms.established); };
  co_await w.until_quiet(std::move(all_made), std::move(made), std::chrono::seconds(5));
  if (rooms.established < w.count) {
    w.tally.note("only " + std::to_string(rooms.established) + " of " + std::to_string(w.count) +
                 " rooms were made");
  }
  w.tally.add("rooms", static_cast<double>(rooms.established));
  if (w.options.scenario == Scenario::kDurable)
    w.tally.add("pairs", static_cast<double>(rooms.established));
  co_await w.arrive();

  // Phase 1: both sides of every room subscribe to it.
  std::vector<std::pair<std::string, RoomEnds>> made_rooms;
  for (const auto& [room_id, ends] : rooms.rooms) {
    if (ends.customer < 0 || ends.agent < 0) continue;
    made_rooms.emplace_back(room_id, ends);
    rooms.customers[ends.customer].client->subscribe(std::string(kRoomPrefix) + room_id,
                                                     "room-" + room_id, "room");
    rooms.agents[ends.agent].client->subscribe(std::string(kRoomPrefix) + room_id,
                                               "room-" + room_id, "room");
  }
  const std::uint64_t receipts = 2 * made_rooms.size();
  std::function<bool()> subscribed = [&rooms, receipts] { return rooms.room_receipts >= receipts; };
  std::function<double()> receipts_in = [&rooms] {
    return static_cast<double>(rooms.room_receipts);
  };
  co_await w.until_quiet(std::move(subscribed), std::move(receipts_in), std::chrono::seconds(5));
  co_await w.arrive();

  // Phase 2: both sides send for --hold seconds.
  w.tally.earliest("sendStartNs", static_cast<double>(now_ns()));
  for (const auto& [room_id, ends] : made_rooms) {
    if (w.options.scenario == Scenario::kDurable) {  // customers send, agents receive
      rooms.senders += 1;
      asio::co_spawn(w.io, durable_room_sender(shared, ends.customer, room_id), asio::detached);
      continue;
    }
    rooms.senders += 2;
    asio::co_spawn(w.io, room_sender(shared, rooms.customers[ends.customer].client, room_id, "c"),
                   asio::detached);
    asio::co_spawn(w.io, room_sender(shared, rooms.agents[ends.agent].client, room_id, "a"),
                   asio::detached);
  }
  std::function<bool()> sent = [&rooms] { return rooms.senders == 0; };
  co_await w.until(std::move(sent));
  co_await w.arrive();

  // Phase 3: what was sent arrives (or a second passes without any delivery); the rooms close.
  std::function<bool()> all_delivered = [&w] {
    return w.tally.sum("delivered") >= w.tally.sum("sent");  // durable: every SEND was stored
  };
  std::function<double()> delivered = [&w] { return w.tally.sum("delivered"); };
  co_await w.until_quiet(std::move(all_delivered), std::move(delivered), std::chrono::seconds(1));
  // Closing gets two seconds even past the timeout, so that a cut run leaves no rooms open.
  w.deadline = std::max(w.deadline, Clock::now() + std::chrono::seconds(2));
  // Every customer ends its consult: the room closes, or a request still waiting (its room was
  // never made) is withdrawn, so that nothing of this run is offered to the next one's agents.
  std::uint64_t to_close = 0;
  for (const Side& side : rooms.customers) {
    if (!side.client || side.client->closed() || side.request_id.empty()) continue;
    if (!side.room_id.empty()) {
      side.client->send("/app/room.close", json::serialize(json::object{{"roomId", side.room_id}}),
                        "closed");
    } else {
      side.client->send("/app/consult.cancel",
                        json::serialize(json::object{{"requestId", side.request_id}}), "closed");
    }
    ++to_close;
  }
  for (Side& side : rooms.agents) {
    if (side.client) side.client->send("/app/agent.logout", "{}");
  }
  std::function<bool()> closed = [&rooms, to_close] { return rooms.closed >= to_close; };
  std::function<double()> closed_count = [&rooms] { return static_cast<double>(rooms.closed); };
  co_await w.until_quiet(std::move(closed), std::move(closed_count), std::chrono::seconds(2));
  co_await w.arrive();
}

}  // namespace aicc::loadgen
