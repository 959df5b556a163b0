// The two sides of the rooms scenario's rooms and what they share in one worker: customers ask
// for a human, agents accept their own customer's offer, both learn the room from the server
// (consult status / assignment), then send into it and time what the other side sent.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "bench/loadgen/receipt_window.hpp"
#include "bench/loadgen/worker.hpp"

namespace aicc::loadgen {

struct Side {  // one connection: a room's customer or an agent
  std::shared_ptr<StompClient> client;
  std::string user_id;
  std::string partner_id;                 // an agent's own customer, whose offer it accepts
  std::string request_id;                 // a customer's consult request, once the server named it
  std::string room_id;                    // a customer's room, once the server named it
  std::shared_ptr<ReceiptWindow> window;  // durable: a customer's SENDs waiting for receipts
};

struct RoomEnds {
  int customer = -1;  // local indices into Rooms::customers / agents
  int agent = -1;
};

struct Rooms {
  Rooms(Worker& worker, std::string prefix) : w(worker), customer_prefix(std::move(prefix)) {}

  Worker& w;
  std::string customer_prefix;  // "bench-customer-<run>-"
  std::vector<Side> customers, agents;
  std::map<std::string, RoomEnds> rooms;  // by room id, once either side has heard of it
  std::uint64_t agents_in = 0;            // agents logged in (or failed to connect)
  std::uint64_t established = 0;          // rooms both sides know
  std::uint64_t room_receipts = 0;
  std::uint64_t closed = 0;
  std::uint64_t senders = 0;  // sending coroutines still running

  void join(const std::string& room_id, int customer, int agent) {
    RoomEnds& ends = rooms[room_id];
    const bool was = ends.customer >= 0 && ends.agent >= 0;
    if (customer >= 0) ends.customer = customer;
    if (agent >= 0) ends.agent = agent;
    if (!was && ends.customer >= 0 && ends.agent >= 0) ++established;
  }
};

// Client coroutines share the state: they may outlive run_rooms by a little at the end.
// Customer and agent k of the worker's rooms (connections 2r and 2r + 1, r = first + k).
boost::asio::awaitable<void> room_customer(std::shared_ptr<Rooms> rooms, int k);
boost::asio::awaitable<void> room_agent(std::shared_ptr<Rooms> rooms, int k);
// durable: a room's customer sends with receipts (receipt_window.hpp), each text the send time.
boost::asio::awaitable<void> durable_room_sender(std::shared_ptr<Rooms> rooms, int customer,
                                                 std::string room_id);
// One side of one room: --rate messages/s for --hold seconds, each text the send time.
boost::asio::awaitable<void> room_sender(std::shared_ptr<Rooms> rooms,
                                         std::shared_ptr<StompClient> client, std::string room_id,
                                         std::string tag);

inline constexpr std::string_view kRoomPrefix = "/topic/room/";

}  // namespace aicc::loadgen
