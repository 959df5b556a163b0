// HTTP routes of the contact center: POST /api/bot/message, POST /api/bot/webhook and
// GET /api/conversations/{id}/messages (PROTOCOL.md "HTTP API").
#pragma once

#include "auth/token_service.hpp"
#include "center/contact_center.hpp"
#include "http/router.hpp"

namespace aicc::http {

void add_center_routes(Router& router, center::ContactCenter& center, auth::TokenService& tokens);

}  // namespace aicc::http
