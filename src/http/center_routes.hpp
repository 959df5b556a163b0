// HTTP routes of the contact center: POST /api/bot/message, POST /api/bot/webhook,
// GET /api/conversations/{id}/messages (PROTOCOL.md "HTTP API"), the admins' audit and the offline
// requests, and the views the pages read (PROTOCOL.md "Additions beyond the base contract"):
// GET /api/consult/current, /api/consult/queue, /api/agent/rooms, /api/agents, /api/admin/stats,
// and GET/PUT /api/agent/canned-responses.
#pragma once

#include "auth/token_service.hpp"
#include "center/contact_center.hpp"
#include "http/router.hpp"

namespace aicc::http {

void add_center_routes(Router& router, center::ContactCenter& center, auth::TokenService& tokens);

}  // namespace aicc::http
