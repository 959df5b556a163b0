#include "http/user_admin_routes.hpp"

#include <spdlog/spdlog.h>

#include <boost/json/serialize.hpp>
#include <charconv>
#include <chrono>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "auth/user_admin.hpp"
#include "auth/user_rules.hpp"
#include "http/center_routes.hpp"
#include "http/json_body.hpp"
#include "http/request_checks.hpp"
#include "http/request_id.hpp"
#include "util/time.hpp"
#include "util/url_decode.hpp"

namespace aicc::http {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using Generator = bhttp::message_generator;

constexpr std::string_view kUsersPath = "/api/admin/users";
constexpr std::size_t kMaxAdminBody = 8 * 1024;
constexpr std::size_t kMaxUserIdBytes = 128;
constexpr int kDefaultPage = 50;
constexpr int kMaxPage = 200;

// Everything one route needs, shared by the handlers.
struct Context {
  UserAdminDeps deps;
  auth::UserAdmin admin;
};

json::object user_json(const auth::User& user) {
  return json::object{
      {"id", user.id},
      {"username", user.username},
      {"displayName", user.display_name},
      {"role", auth::to_string(user.role)},
      {"disabled", user.disabled},
      {"maxRooms", user.max_rooms},
      {"createdAt",
       util::rfc3339(std::chrono::system_clock::time_point(std::chrono::seconds(user.created_at)))},
  };
}

Response json_reply(const Request& request, bhttp::status status, const json::object& body) {
  return make_response(request, status, json::serialize(body), "application/json");
}

Response refusal_reply(const Request& request, const auth::AdminRefusal& refusal) {
  return error_response(request, static_cast<bhttp::status>(refusal.status), refusal.code,
                        refusal.message);
}

Response body_refusal_reply(const Request& request, const BodyRefusal& refusal) {
  return error_response(request, static_cast<bhttp::status>(refusal.status), refusal.code,
                        refusal.message);
}

// The admin behind the request, or the 401/403 to answer.
std::optional<center::Caller> admin_of(const Request& request, auth::TokenService& tokens,
                                       std::optional<Response>& refusal) {
  auto caller = bearer_caller(request, tokens, refusal);
  if (caller && caller->role != auth::Role::kAdmin) {
    refusal = error_response(request, bhttp::status::forbidden, "forbidden", "admins only");
    return std::nullopt;
  }
  return caller;
}

auth::Actor actor_of(const center::Caller& caller, const Request& request) {
  return auth::Actor{caller.user_id, caller.name, std::string(request_id_of(request))};
}

// The body as an object with no member but `allowed`, or the refusal.
util::Result<json::object, BodyRefusal> admin_body(
    const Request& request, std::initializer_list<std::string_view> allowed) {
  auto body = parse_object_body(request.body(), kMaxAdminBody);
  if (!body) return body;
  for (const auto& member : *body) {
    bool known = false;
    for (const std::string_view name : allowed) known = known || member.key() == name;
    if (!known) {
      return util::unexpected(
          BodyRefusal{400, "bad_request", "unknown field \"" + std::string(member.key()) + "\""});
    }
  }
  return body;
}

// An integer member: nullopt when absent or null, a refusal when of another type or range.
util::Result<std::optional<int>, BodyRefusal> int_member(const json::object& body,
                                                         std::string_view name) {
  const json::value* member = body.if_contains(name);
  if (member == nullptr || member->is_null()) return std::optional<int>();
  if (!member->is_int64() || member->as_int64() < -1'000'000 || member->as_int64() > 1'000'000) {
    // Appended rather than "\"" + std::string(name): GCC 12 warns falsely (-Wrestrict) on that.
    std::string message(1, '"');
    message.append(name).append("\" must be a whole number");
    return util::unexpected(BodyRefusal{400, "bad_request", std::move(message)});
  }
  return std::optional<int>(static_cast<int>(member->as_int64()));
}

bool parse_whole(std::string_view text, int& out) {
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out);
  return error == std::errc() && end == text.data() + text.size();
}

std::optional<auth::Role> staff_role(std::string_view text) {
  if (text == "AGENT" || text == "agent") return auth::Role::kAgent;
  if (text == "ADMIN" || text == "admin") return auth::Role::kAdmin;
  return std::nullopt;
}

// {id} and {action} of /api/admin/users/{id}[/{action}]; nullopt when the id is not one.
struct UserPath {
  std::string id;
  std::string action;  // empty for the user itself
};
std::optional<UserPath> user_path(const Request& request) {
  std::string_view rest = target_path(request.target()).substr(kUsersPath.size() + 1);
  UserPath path;
  if (const auto slash = rest.find('/'); slash != std::string_view::npos) {
    path.action = std::string(rest.substr(slash + 1));
    rest = rest.substr(0, slash);
  }
  if (rest.empty() || rest.size() > kMaxUserIdBytes) return std::nullopt;
  for (const char c : rest) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-';
    if (!ok) return std::nullopt;
  }
  path.id = std::string(rest);
  return path;
}

// What a change answers: the user, and the password generated for them (once).
Response change_reply(const Request& request, bhttp::status status,
                      const auth::AccountChange& change) {
  json::object body{{"user", user_json(change.user)}, {"changed", change.changed}};
  if (!change.generated_password.empty()) body["generatedPassword"] = change.generated_password;
  return json_reply(request, status, body);
}

Response busy_reply(const Request& request) {
  Response response = error_response(request, bhttp::status::service_unavailable, "busy",
                                     "the server is busy checking passwords; try again shortly");
  response.set(bhttp::field::retry_after, "1");
  return response;
}

asio::awaitable<Generator> list_users(std::shared_ptr<Context> context, const Request& request) {
  auth::StaffQuery query;
  query.limit = kDefaultPage;
  const std::string_view target = request.target();
  if (const std::string_view role = query_param(target, "role"); !role.empty()) {
    query.role = staff_role(role);
    if (!query.role) {
      co_return error_response(request, bhttp::status::bad_request, "bad_request",
                               "role must be AGENT or ADMIN");
    }
  }
  if (const std::string_view disabled = query_param(target, "disabled"); !disabled.empty()) {
    if (disabled != "true" && disabled != "false") {
      co_return error_response(request, bhttp::status::bad_request, "bad_request",
                               "disabled must be true or false");
    }
    query.disabled = disabled == "true";
  }
  query.after_username = util::url_decode(query_param(target, "after"));
  if (query.after_username.size() > auth::kMaxUsernameBytes) {
    co_return error_response(request, bhttp::status::bad_request, "bad_request",
                             "after must be a username (at most 64 bytes)");
  }
  if (const std::string_view limit = query_param(target, "limit"); !limit.empty()) {
    int number = 0;
    if (!parse_whole(limit, number) || number < 1 || number > kMaxPage) {
      co_return error_response(request, bhttp::status::bad_request, "bad_request",
                               "limit must be 1 to " + std::to_string(kMaxPage));
    }
    query.limit = static_cast<std::size_t>(number);
  }
  auto work = [context, query] { return context->deps.store.list_staff(query); };
  const std::vector<auth::User> users = co_await context->deps.pool.run(std::move(work));
  json::array list;
  for (const auth::User& user : users) list.push_back(user_json(user));
  json::object body{{"users", std::move(list)}};
  // The cursor for the next page; null when this one was the last.
  if (users.size() == query.limit) {
    body["next"] = users.back().username;
  } else {
    body["next"] = nullptr;
  }
  co_return json_reply(request, bhttp::status::ok, body);
}

asio::awaitable<Generator> create_user(std::shared_ptr<Context> context, center::Caller caller,
                                       const Request& request) {
  auto body = admin_body(request, {"username", "role", "displayName", "password", "maxRooms"});
  if (!body) co_return body_refusal_reply(request, body.error());
  auth::NewAccount account;
  for (const auto& [name, target] :
       {std::pair<std::string_view, std::string*>{"username", &account.username},
        {"displayName", &account.display_name},
        {"password", &account.password}}) {
    auto text = string_member(*body, name);
    if (!text) co_return body_refusal_reply(request, text.error());
    if (*text) *target = std::move(**text);
  }
  auto role_text = string_member(*body, "role");
  if (!role_text) co_return body_refusal_reply(request, role_text.error());
  const auto role = *role_text ? staff_role(**role_text) : std::nullopt;
  if (!role) {
    co_return error_response(request, bhttp::status::bad_request, "bad_request",
                             "role must be AGENT or ADMIN");
  }
  account.role = *role;
  auto max_rooms = int_member(*body, "maxRooms");
  if (!max_rooms) co_return body_refusal_reply(request, max_rooms.error());
  account.max_rooms = max_rooms->value_or(0);
  if (account.username.empty()) {
    co_return error_response(request, bhttp::status::bad_request, "bad_request",
                             "username is required");
  }
  auto work = [context, actor = actor_of(caller, request), account = std::move(account)] {
    return context->admin.create(actor, account);
  };
  auto result = co_await context->deps.hash_pool.try_run(std::move(work));
  if (!result) co_return busy_reply(request);
  if (!*result) co_return refusal_reply(request, result->error());
  const auth::AccountChange& change = **result;
  spdlog::info("user admin: {} created {} ({}) request={}", caller.user_id, change.user.username,
               auth::to_string(change.user.role), request_id_of(request));
  co_return change_reply(request, bhttp::status::created, change);
}

asio::awaitable<Generator> user_action(std::shared_ptr<Context> context, center::Caller caller,
                                       const Request& request, UserPath path) {
  const auth::Actor actor = actor_of(caller, request);
  const bool post = request.method() == bhttp::verb::post;
  const bool put = request.method() == bhttp::verb::put;
  if (path.action.empty() && request.method() == bhttp::verb::get) {
    auto work = [context, id = path.id] { return context->admin.find(id); };
    const auto user = co_await context->deps.pool.run(std::move(work));
    if (!user) {
      co_return error_response(request, bhttp::status::not_found, "not_found", "no such user");
    }
    co_return json_reply(request, bhttp::status::ok, json::object{{"user", user_json(*user)}});
  }
  if (post && (path.action == "disable" || path.action == "enable")) {
    auto body = admin_body(request, {});
    if (!body) co_return body_refusal_reply(request, body.error());
    const bool disable = path.action == "disable";
    auto work = [context, actor, id = path.id, disable] {
      return context->admin.set_disabled(actor, id, disable);
    };
    auto result = co_await context->deps.pool.run(std::move(work));
    if (!result) co_return refusal_reply(request, result.error());
    if (disable && result->user.role == auth::Role::kAgent) {
      // Out of routing at once; their sessions were closed by the revocation.
      const center::Answer signed_out =
          co_await context->deps.center.sign_out_agent(caller, path.id);
      if (signed_out.status != 200) {
        spdlog::warn("user admin: signing disabled agent {} out of routing: status {} {}", path.id,
                     signed_out.status, signed_out.body);
      }
    }
    if (result->changed) {
      spdlog::info("user admin: {} {}d {} request={}", caller.user_id, path.action,
                   result->user.username, request_id_of(request));
    }
    co_return change_reply(request, bhttp::status::ok, *result);
  }
  if (post && path.action == "password") {
    auto body = admin_body(request, {"password"});
    if (!body) co_return body_refusal_reply(request, body.error());
    auto password = string_member(*body, "password");
    if (!password) co_return body_refusal_reply(request, password.error());
    auto work = [context, actor, id = path.id, chosen = password->value_or("")] {
      return context->admin.reset_password(actor, id, chosen);
    };
    auto result = co_await context->deps.hash_pool.try_run(std::move(work));
    if (!result) co_return busy_reply(request);
    if (!*result) co_return refusal_reply(request, result->error());
    spdlog::info("user admin: {} reset the password of {} request={}", caller.user_id,
                 (*result)->user.username, request_id_of(request));
    co_return change_reply(request, bhttp::status::ok, **result);
  }
  if (put && path.action == "max-rooms") {
    auto body = admin_body(request, {"maxRooms"});
    if (!body) co_return body_refusal_reply(request, body.error());
    auto max_rooms = int_member(*body, "maxRooms");
    if (!max_rooms) co_return body_refusal_reply(request, max_rooms.error());
    if (!*max_rooms) {
      co_return error_response(request, bhttp::status::bad_request, "bad_request",
                               "maxRooms is required");
    }
    auto work = [context, actor, id = path.id, limit = **max_rooms] {
      return context->admin.set_max_rooms(actor, id, limit);
    };
    auto result = co_await context->deps.pool.run(std::move(work));
    if (!result) co_return refusal_reply(request, result.error());
    // Applied even when unchanged: a routing engine that missed it (a node taking over meanwhile
    // reads it from the store anyway) gets it again.
    const center::Answer applied =
        co_await context->deps.center.set_agent_room_limit(caller, path.id, **max_rooms);
    json::object reply{{"user", user_json(result->user)},
                       {"changed", result->changed},
                       {"appliedToRouting", applied.status == 200}};
    co_return json_reply(request, bhttp::status::ok, reply);
  }
  if (put && path.action == "display-name") {
    auto body = admin_body(request, {"displayName"});
    if (!body) co_return body_refusal_reply(request, body.error());
    auto name = string_member(*body, "displayName");
    if (!name) co_return body_refusal_reply(request, name.error());
    auto work = [context, actor, id = path.id, name = name->value_or("")] {
      return context->admin.rename(actor, id, name);
    };
    auto result = co_await context->deps.pool.run(std::move(work));
    if (!result) co_return refusal_reply(request, result.error());
    co_return change_reply(request, bhttp::status::ok, *result);
  }
  co_return error_response(request, bhttp::status::not_found, "not_found", "no such API endpoint");
}

asio::awaitable<Generator> user_audit_page(std::shared_ptr<Context> context,
                                           const Request& request) {
  std::int64_t before = 0;
  int limit = 100;
  if (const std::string_view text = query_param(request.target(), "before"); !text.empty()) {
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), before);
    if (error != std::errc() || end != text.data() + text.size() || before < 0) {
      co_return error_response(request, bhttp::status::bad_request, "bad_request",
                               "before must be a whole number >= 0");
    }
  }
  if (const std::string_view text = query_param(request.target(), "limit"); !text.empty()) {
    if (!parse_whole(text, limit) || limit < 1 || limit > 1000) {
      co_return error_response(request, bhttp::status::bad_request, "bad_request",
                               "limit must be 1 to 1000");
    }
  }
  auto work = [context, before, limit] {
    return context->deps.store.query_user_audit(before, static_cast<std::size_t>(limit));
  };
  const auto entries = co_await context->deps.pool.run(std::move(work));
  json::array list;
  for (const auth::UserAuditEntry& e : entries) {
    list.push_back(json::object{{"id", e.id},
                                {"at", util::rfc3339(std::chrono::system_clock::time_point(
                                           std::chrono::milliseconds(e.at)))},
                                {"actorId", e.actor_id},
                                {"actorName", e.actor_name},
                                {"action", e.action},
                                {"targetId", e.target_id},
                                {"targetUsername", e.target_username},
                                {"detail", e.detail},
                                {"requestId", e.request_id}});
  }
  json::object body{{"entries", std::move(list)}};
  body["next"] = entries.size() == static_cast<std::size_t>(limit) ? json::value(entries.back().id)
                                                                   : json::value(nullptr);
  co_return json_reply(request, bhttp::status::ok, body);
}

std::shared_ptr<Context> make_context(const UserAdminDeps& deps) {
  auth::TokenService& tokens = deps.tokens;
  // The logins just revoked in the store are read back at once: their sessions end on every node.
  auto revoked = [&tokens] { tokens.sync_revocations(util::unix_seconds()); };
  return std::make_shared<Context>(
      Context{deps, auth::UserAdmin(deps.store, deps.deny_for, true, std::move(revoked))});
}

}  // namespace

void add_user_admin_routes(Router& router, const UserAdminDeps& deps) {
  auto context = make_context(deps);
  for (const bhttp::verb verb : {bhttp::verb::get, bhttp::verb::post}) {
    router.add_async(
        verb, std::string(kUsersPath),
        [context](const Request& request, const RequestInfo&) -> asio::awaitable<Generator> {
          std::optional<Response> refusal;
          auto caller = admin_of(request, context->deps.tokens, refusal);
          if (!caller) co_return std::move(*refusal);
          if (request.method() == bhttp::verb::get) co_return co_await list_users(context, request);
          if (auto not_json = refuse_non_json(request)) co_return std::move(*not_json);
          co_return co_await create_user(context, std::move(*caller), request);
        });
  }
  // What each method serves under /api/admin/users/{id} (user_action), as the document names it.
  const std::string user = std::string(kUsersPath) + "/{id}";
  const std::vector<std::pair<bhttp::verb, std::vector<std::string>>> operations = {
      {bhttp::verb::get, {user}},
      {bhttp::verb::post, {user + "/disable", user + "/enable", user + "/password"}},
      {bhttp::verb::put, {user + "/max-rooms", user + "/display-name"}},
  };
  for (const auto& [verb, templates] : operations) {
    router.add_prefix_async(
        verb, std::string(kUsersPath) + "/", templates,
        [context](const Request& request, const RequestInfo&) -> asio::awaitable<Generator> {
          std::optional<Response> refusal;
          auto caller = admin_of(request, context->deps.tokens, refusal);
          if (!caller) co_return std::move(*refusal);
          auto path = user_path(request);
          if (!path) {
            co_return error_response(request, bhttp::status::not_found, "not_found",
                                     "no such user");
          }
          if (request.method() != bhttp::verb::get) {
            if (auto not_json = refuse_non_json(request)) co_return std::move(*not_json);
          }
          co_return co_await user_action(context, std::move(*caller), request, std::move(*path));
        });
  }
}

Router::AsyncHandler user_audit_route(const UserAdminDeps& deps) {
  auto context = make_context(deps);
  return [context](const Request& request, const RequestInfo&) -> asio::awaitable<Generator> {
    std::optional<Response> refusal;
    auto caller = admin_of(request, context->deps.tokens, refusal);
    if (!caller) co_return std::move(*refusal);
    co_return co_await user_audit_page(context, request);
  };
}

}  // namespace aicc::http
