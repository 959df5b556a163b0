#include "center/wire_json.hpp"

#include "center/service_util.hpp"

namespace aicc::center {

namespace json = boost::json;

json::object message_json(const chat::MessageRecord& message) {
  json::object out{{"seq", message.seq},
                   {"messageId", message.message_id},
                   {"senderId", message.sender_id},
                   {"senderRole", chat::to_string(message.sender_role)},
                   {"text", message.text},
                   {"timestamp", timestamp_of(message.created_at)}};
  if (!message.client_message_id.empty()) out["clientMessageId"] = message.client_message_id;
  if (!message.reply_to.empty()) out["replyTo"] = message.reply_to;
  if (!message.sender_name.empty()) out["senderName"] = message.sender_name;
  if (!message.attachments.empty()) {
    json::array files;
    for (const chat::AttachmentRef& file : message.attachments) {
      files.push_back(json::object{{"id", file.id},
                                   {"name", file.name},
                                   {"contentType", file.content_type},
                                   {"size", file.size}});
    }
    out["attachments"] = std::move(files);
  }
  return out;
}

void add_expected_wait(json::object& body, const chat::CustomerStatus& status,
                       chat::LiveFigures& figures, chat::Millis now) {
  if (status.status != chat::ConsultStatus::kWaiting || !status.position) return;
  if (const auto wait = figures.expected_wait(*status.position, now))
    body["expectedWaitMs"] = *wait;
}

json::object note_json(const chat::NoteRecord& note) {
  json::object out{{"noteId", note.id},
                   {"roomId", note.room_id},
                   {"kind", chat::to_string(note.kind)},
                   {"authorId", note.author_id},
                   {"authorName", note.author_name},
                   {"text", note.text},
                   {"timestamp", timestamp_of(note.created_at)}};
  if (note.kind == chat::NoteKind::kTransfer) {
    out["toAgentId"] = note.to_agent_id;  // empty: back to the queue
    out["toAgentName"] = note.to_agent_name;
  }
  return out;
}

json::object consult_status_json(const chat::CustomerStatus& status) {
  json::object body{{"requestId", status.request_id}, {"status", chat::to_string(status.status)}};
  if (status.position) body["position"] = *status.position;
  if (!status.agent_id.empty()) body["agentId"] = status.agent_id;
  if (!status.agent_name.empty()) body["agentName"] = status.agent_name;
  if (!status.room_id.empty()) body["roomId"] = status.room_id;
  if (!status.reason.empty()) body["reason"] = status.reason;
  if (status.agent_reconnecting) body["agentReconnecting"] = true;
  return body;
}

json::object agent_json(const chat::AgentView& agent) {
  return json::object{{"id", agent.agent.id},
                      {"name", agent.agent.display_name},
                      {"state", chat::presence_of(agent)},
                      {"activeRooms", agent.active_rooms},
                      {"maxRooms", agent.max_rooms},
                      // Available, but with as many rooms as allowed: takes no new chat.
                      {"atCapacity", agent.active_rooms >= agent.max_rooms}};
}

}  // namespace aicc::center
