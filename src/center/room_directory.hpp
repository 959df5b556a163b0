// Who is in each open room: its customer and its current agent (none while it waits in the queue
// again). The SUBSCRIBE guard and room.send read it on I/O threads, so it has its own lock.
//
// Every node keeps the whole directory: the node deciding routing changes it with each decision
// and, with several nodes, broadcasts each change on the bus; the others apply the broadcasts, and
// read it whole from the store at start, after a takeover and after a bus outage.
#pragma once

#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "chat/chat_store.hpp"

namespace aicc::center {

class RoomDirectory {
 public:
  struct Members {
    std::string customer_id;
    std::string agent_id;  // empty while the room waits in the queue
  };
  using Rooms = std::unordered_map<std::string, Members>;

  // The open rooms as the store has them.
  static Rooms from_store(const std::vector<chat::RoomRecord>& open_rooms);

  void replace(Rooms rooms);
  // nullopt: the room closed.
  void set(const std::string& room_id, std::optional<Members> members);
  std::optional<Members> find(const std::string& room_id) const;
  // Empty when `user_id` is the open room's customer or agent, else why not.
  std::string refusal(const std::string& room_id, const std::string& user_id) const;
  std::size_t size() const;

 private:
  mutable std::mutex mutex_;
  Rooms rooms_;
};

}  // namespace aicc::center
