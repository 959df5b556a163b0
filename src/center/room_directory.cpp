#include "center/room_directory.hpp"

namespace aicc::center {

RoomDirectory::Rooms RoomDirectory::from_store(const std::vector<chat::RoomRecord>& open_rooms) {
  Rooms rooms;
  for (const chat::RoomRecord& room : open_rooms)
    rooms[room.id] = Members{room.customer_id, room.agent_id};
  return rooms;
}

void RoomDirectory::replace(Rooms rooms) {
  std::lock_guard lock(mutex_);
  rooms_ = std::move(rooms);
}

void RoomDirectory::set(const std::string& room_id, std::optional<Members> members) {
  std::lock_guard lock(mutex_);
  if (members) {
    rooms_[room_id] = std::move(*members);
  } else {
    rooms_.erase(room_id);
  }
}

std::optional<RoomDirectory::Members> RoomDirectory::find(const std::string& room_id) const {
  std::lock_guard lock(mutex_);
  auto it = rooms_.find(room_id);
  if (it == rooms_.end()) return std::nullopt;
  return it->second;
}

std::string RoomDirectory::refusal(const std::string& room_id, const std::string& user_id) const {
  std::lock_guard lock(mutex_);
  auto it = rooms_.find(room_id);
  if (it == rooms_.end()) return "no such open room";
  if (user_id.empty() || (it->second.customer_id != user_id && it->second.agent_id != user_id))
    return "not a participant of this room";
  return {};
}

std::size_t RoomDirectory::size() const {
  std::lock_guard lock(mutex_);
  return rooms_.size();
}

}  // namespace aicc::center
