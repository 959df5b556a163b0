#include "center/rooms.hpp"

#include <boost/json/serialize.hpp>

#include "center/service_util.hpp"
#include "center/wire_json.hpp"
#include "net/bus.hpp"
#include "util/random.hpp"

namespace aicc::center {

namespace json = boost::json;

std::optional<std::string> room_of(std::string_view destination) {
  if (!destination.starts_with(kRoomPrefix)) return std::nullopt;
  return std::string(destination.substr(kRoomPrefix.size()));
}

json::object message_event(const chat::MessageRecord& message) {
  json::object out = message_json(message);
  out["roomId"] = message.stream_id;
  return out;
}

void Rooms::set_members(const std::string& room_id, std::optional<RoomDirectory::Members> members,
                        net::Bus* bus) {
  members_.set(room_id, members);
  if (bus == nullptr) return;
  net::BusEvent event;
  event.kind = net::BusEvent::Kind::kRoomMembers;
  event.destination = room_id;
  if (members) {
    event.user_id = members->customer_id;
    event.login_id = members->agent_id;
  } else {
    event.seq = 1;
  }
  bus->publish(std::string(net::kControlChannel), std::move(event));
}

std::optional<Rooms::Refusal> Rooms::send(const Caller& caller, const std::string& room_id,
                                          std::string text, std::string client_message_id,
                                          const std::vector<std::string>& attachment_ids) {
  auto prepared =
      prepare(caller, room_id, std::move(text), std::move(client_message_id), attachment_ids);
  if (auto* refusal = std::get_if<Refusal>(&prepared)) return std::move(*refusal);
  return finish(store_.append_message(std::get<chat::MessageRecord>(prepared)));
}

std::variant<chat::MessageRecord, Rooms::Refusal> Rooms::prepare(
    const Caller& caller, const std::string& room_id, std::string text,
    std::string client_message_id, const std::vector<std::string>& attachment_ids) {
  if (std::string refusal = members_.refusal(room_id, caller.user_id); !refusal.empty()) {
    return Refusal{"not_participant", std::move(refusal)};
  }
  chat::MessageRecord record;
  // A file goes with a message of the room it was uploaded to, sent by whoever uploaded it.
  for (const std::string& id : attachment_ids) {
    const auto file = store_.find_attachment(id);
    if (!file || file->room_id != room_id || file->uploader_id != caller.user_id) {
      return Refusal{"bad_attachment",
                     "attachment " + id.substr(0, 40) + " is not one you uploaded to this room"};
    }
    if (std::any_of(record.attachments.begin(), record.attachments.end(),
                    [&](const chat::AttachmentRef& seen) { return seen.id == id; })) {
      return Refusal{"bad_attachment", "attachment " + id.substr(0, 40) + " is listed twice"};
    }
    record.attachments.push_back(file->file);
  }
  record.created_at = now_ms();
  record.stream_id = room_id;
  record.message_id = util::time_ordered_id("m_", record.created_at);
  record.client_message_id = std::move(client_message_id);
  record.sender_id = caller.user_id;
  record.sender_name = caller.name;
  record.sender_role =
      caller.role == auth::Role::kCustomer ? chat::SenderRole::kCustomer : chat::SenderRole::kAgent;
  record.text = std::move(text);
  return record;
}

std::optional<Rooms::Refusal> Rooms::finish(const chat::AppendResult& stored) {
  if (stored.status == chat::AppendStatus::kStreamClosed) {
    return Refusal{"room_closed", "the room is closed"};
  }
  // A retry of a stored message was delivered the first time: stored and delivered once.
  if (stored.status != chat::AppendStatus::kStored) return std::nullopt;
  figures_.message(stored.message.created_at);
  publisher_.publish_in_stream(std::string(kRoomPrefix) + stored.message.stream_id,
                               "application/json", json::serialize(message_event(stored.message)),
                               static_cast<std::uint64_t>(stored.message.seq));
  return std::nullopt;
}

void Rooms::publish_event(const std::string& room_id, const json::object& event) {
  publisher_.publish(std::string(kRoomPrefix) + room_id, "application/json",
                     json::serialize(event));
}

std::vector<std::shared_ptr<const stomp::Message>> Rooms::read_page(const std::string& room_id,
                                                                    std::string_view destination,
                                                                    std::uint64_t after_seq,
                                                                    std::size_t max_count) {
  std::vector<std::shared_ptr<const stomp::Message>> page;
  for (const auto& message :
       store_.read_messages(room_id, static_cast<std::int64_t>(after_seq), max_count)) {
    page.push_back(stomp::make_message(std::string(destination), "application/json",
                                       json::serialize(message_event(message)), {},
                                       static_cast<std::uint64_t>(message.seq)));
  }
  return page;
}

std::uint64_t Rooms::position(const std::string& room_id) {
  return static_cast<std::uint64_t>(store_.last_seq(room_id));
}

}  // namespace aicc::center
