// The admin user API (PROTOCOL.md "User administration"): admins list agents and admins, create
// them, disable and enable them, reset their passwords, set an agent's room limit and rename them,
// all through auth::UserAdmin, the rules and audit log the `aicc-chat user` command shares.
//
//   GET  /api/admin/users?role=&disabled=&after=&limit=   staff by username, paged
//   POST /api/admin/users                                 {username, role, displayName?,
//                                                          password?, maxRooms?}
//   GET  /api/admin/users/{id}
//   POST /api/admin/users/{id}/disable | /enable
//   POST /api/admin/users/{id}/password                   {password?}: absent, one is generated
//   PUT  /api/admin/users/{id}/max-rooms                  {maxRooms}: 0 for the default
//   PUT  /api/admin/users/{id}/display-name               {displayName}
//   GET  /api/admin/audit?kind=users&before=&limit=       the user audit log, newest first
//
// Bearer access token of an ADMIN only. Bodies are JSON objects of at most 8 KiB with only the
// fields named; every refusal is the usual {error, message, requestId}. Store work runs on the
// blocking pool; creating a user and setting a password (argon2id) on the bounded hashing pool,
// 503 busy when it is full. A disabled agent is signed out of routing, and an agent's room limit
// applied to routing at once, where the routing engine is (center/contact_center.hpp).
#pragma once

#include <cstdint>

#include "auth/token_service.hpp"
#include "auth/user_store.hpp"
#include "center/contact_center.hpp"
#include "http/router.hpp"
#include "net/blocking_pool.hpp"

namespace aicc::http {

struct UserAdminDeps {
  auth::UserStore& store;
  auth::TokenService& tokens;
  center::ContactCenter& center;
  net::BlockingPool& pool;       // store work
  net::BlockingPool& hash_pool;  // argon2id, bounded: when full, 503 + Retry-After
  std::int64_t deny_for = 0;     // seconds a revoked login's access tokens stay refused
};

void add_user_admin_routes(Router& router, const UserAdminDeps& deps);

// GET /api/admin/audit?kind=users, for add_center_routes.
Router::AsyncHandler user_audit_route(const UserAdminDeps& deps);

}  // namespace aicc::http
