// JSON shapes of the wire contract that more than one file of the contact center sends: a consult
// status (`/user/queue/consult/status` and GET /api/consult/current say it the same way) and an
// agent as the consoles and the supervisor page list them (GET /api/agents, /api/admin/stats).
#pragma once

#include <boost/json/object.hpp>

#include "chat/chat_store.hpp"
#include "chat/routing.hpp"

namespace aicc::center {

// {requestId, status, position?, agentId?, agentName?, roomId?, reason?, agentReconnecting?}
boost::json::object consult_status_json(const chat::CustomerStatus& status);

// A stored message as the history (GET /api/conversations/{id}/messages) gives it: {seq,
// messageId, senderId, senderRole, text, timestamp, clientMessageId?, replyTo?}.
boost::json::object message_json(const chat::MessageRecord& message);

// {id, name, state, activeRooms, maxRooms}; state as chat::presence_of says it.
boost::json::object agent_json(const chat::AgentView& agent, int max_rooms);

}  // namespace aicc::center
