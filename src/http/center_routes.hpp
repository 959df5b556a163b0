// HTTP routes of the contact center: POST /api/bot/message, POST /api/bot/webhook,
// GET /api/conversations/{id}/messages (PROTOCOL.md "HTTP API"), the admins' audit and the offline
// requests, and the views the pages read (PROTOCOL.md "Additions beyond the base contract"):
// GET /api/consult/current, /api/consult/queue, /api/agent/rooms, /api/agents, /api/admin/stats,
// and GET/PUT /api/agent/canned-responses.
#pragma once

#include <optional>

#include "auth/token_service.hpp"
#include "center/contact_center.hpp"
#include "http/router.hpp"

namespace aicc::http {

// `user_audit` answers GET /api/admin/audit?kind=users (http/user_admin_routes.hpp); without it
// that kind is refused like any unknown one.
void add_center_routes(Router& router, center::ContactCenter& center, auth::TokenService& tokens,
                       Router::AsyncHandler user_audit = {});

// The caller of a bearer-authenticated request, or nullopt with the 401 to answer in `refusal`.
std::optional<center::Caller> bearer_caller(const Request& request, auth::TokenService& tokens,
                                            std::optional<Response>& refusal);

}  // namespace aicc::http
