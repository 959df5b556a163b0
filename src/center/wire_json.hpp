// JSON shapes of the wire contract that more than one file of the contact center sends: a consult
// status (`/user/queue/consult/status` and GET /api/consult/current say it the same way) and an
// agent as the consoles and the supervisor page list them (GET /api/agents, /api/admin/stats).
#pragma once

#include <boost/json/object.hpp>

#include "chat/chat_store.hpp"
#include "chat/live_figures.hpp"
#include "chat/routing.hpp"

namespace aicc::center {

// {requestId, status, position?, agentId?, agentName?, roomId?, reason?, agentReconnecting?}
boost::json::object consult_status_json(const chat::CustomerStatus& status);

// A stored message as the history (GET /api/conversations/{id}/messages) gives it: {seq,
// messageId, senderId, senderRole, text, timestamp, clientMessageId?, replyTo?, senderName?}.
boost::json::object message_json(const chat::MessageRecord& message);

// Adds `expectedWaitMs` to a waiting status with a position, when the recent pace of assignments
// gives one (chat::LiveFigures::expected_wait).
void add_expected_wait(boost::json::object& body, const chat::CustomerStatus& status,
                       chat::LiveFigures& figures, chat::Millis now);

// A room's private note, as the consoles get it: {noteId, roomId, kind, authorId, authorName,
// text, timestamp, toAgentId?, toAgentName?} (kind "note" or "transfer").
boost::json::object note_json(const chat::NoteRecord& note);

// {id, name, state, activeRooms, maxRooms}; state as chat::presence_of says it.
boost::json::object agent_json(const chat::AgentView& agent);

}  // namespace aicc::center
