// The 1:1 rooms between a customer and an agent, once routing gave the customer one: who is in
// each (RoomDirectory), their messages (stored first, then published in seq order, each once),
// their events (joined, transferred, typing, ...), and reading them back for since-seq replays.
//
// Part of the contact center: send, read and position run on its executor (store calls block);
// the membership check runs on I/O threads (SUBSCRIBE), behind the directory's own lock.
#pragma once

#include <boost/json/object.hpp>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "broker/publisher.hpp"
#include "center/caller.hpp"
#include "center/room_directory.hpp"
#include "chat/chat_store.hpp"
#include "chat/live_figures.hpp"
#include "stomp/message.hpp"

namespace aicc::net {
class Bus;
}  // namespace aicc::net

namespace aicc::center {

inline constexpr std::string_view kRoomPrefix = "/topic/room/";

// The room id of `/topic/room/{id}`; nullopt for any other destination.
std::optional<std::string> room_of(std::string_view destination);

// A room message as its subscribers and the assignment's history get it.
boost::json::object message_event(const chat::MessageRecord& message);

class Rooms {
 public:
  Rooms(chat::ChatStore& store, broker::Publisher& publisher, chat::LiveFigures& figures)
      : store_(store), publisher_(publisher), figures_(figures) {}

  RoomDirectory& members() { return members_; }
  const RoomDirectory& members() const { return members_; }
  // Changes one room's members here and, with a bus, on every node; nullopt: the room closed.
  void set_members(const std::string& room_id, std::optional<RoomDirectory::Members> members,
                   net::Bus* bus);

  struct Refusal {
    std::string code;  // not_participant, room_closed, bad_attachment
    std::string message;
  };
  // Stores a member's message and publishes it in the room's order. A retry of a stored message
  // (the same clientMessageId) is neither stored nor published again. `attachment_ids`: files the
  // sender uploaded to this room (each at most once), which the message carries.
  std::optional<Refusal> send(const Caller& caller, const std::string& room_id, std::string text,
                              std::string client_message_id,
                              const std::vector<std::string>& attachment_ids = {});
  // send() in two halves, for a group commit of many senders' messages (ChatStore::
  // append_messages): the message checked and made ready to store, or why not; then, with the
  // store's answer, the message published in the room's order (or the refusal of a closed room).
  std::variant<chat::MessageRecord, Refusal> prepare(
      const Caller& caller, const std::string& room_id, std::string text,
      std::string client_message_id, const std::vector<std::string>& attachment_ids);
  std::optional<Refusal> finish(const chat::AppendResult& stored);
  // An event that is not a message (no seq): joined, left, typing, read, ...
  void publish_event(const std::string& room_id, const boost::json::object& event);

  // Up to `max_count` messages after `after_seq`, oldest first, as MESSAGEs for `destination`.
  std::vector<std::shared_ptr<const stomp::Message>> read_page(const std::string& room_id,
                                                               std::string_view destination,
                                                               std::uint64_t after_seq,
                                                               std::size_t max_count);
  // The seq of the room's newest message (0: none).
  std::uint64_t position(const std::string& room_id);

 private:
  chat::ChatStore& store_;
  broker::Publisher& publisher_;
  chat::LiveFigures& figures_;
  RoomDirectory members_;
};

}  // namespace aicc::center
