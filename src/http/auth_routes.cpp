#include "http/auth_routes.hpp"

#include <spdlog/spdlog.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <optional>

#include "http/cors.hpp"
#include "http/json_body.hpp"
#include "http/request_checks.hpp"
#include "http/request_id.hpp"
#include "util/time.hpp"

namespace aicc::http {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using Generator = bhttp::message_generator;

constexpr std::size_t kMaxAuthBody = 8 * 1024;

// The request body as a JSON object (parse_object_body()); nullopt + an error response when it is
// anything else, or not sent as application/json (415; a body over the limit is 413 first).
std::optional<json::object> body_object(const Request& request, std::optional<Response>& refusal) {
  if (request.body().size() <= kMaxAuthBody) {
    if (auto not_json = refuse_non_json(request)) {
      refusal = std::move(not_json);
      return std::nullopt;
    }
  }
  auto body = parse_object_body(request.body(), kMaxAuthBody);
  if (!body) {
    refusal = error_response(request, bhttp::status(body.error().status), body.error().code,
                             body.error().message);
    return std::nullopt;
  }
  return std::move(*body);
}

// A string field, absent as nullopt; a field of another type is a refusal.
std::optional<std::string> string_field(const json::object& body, std::string_view name,
                                        const Request& request, std::optional<Response>& refusal) {
  auto field = string_member(body, name);
  if (!field) {
    refusal = error_response(request, bhttp::status(field.error().status), field.error().code,
                             field.error().message);
    return std::nullopt;
  }
  return std::move(*field);
}

std::string refresh_cookie(std::string_view value, std::int64_t max_age, bool secure) {
  std::string cookie(kRefreshCookie);
  cookie.append("=").append(value);
  cookie.append("; Path=/api/auth; Max-Age=").append(std::to_string(max_age));
  cookie.append("; HttpOnly; SameSite=Strict");
  if (secure) cookie.append("; Secure");
  return cookie;
}

// The answer of login, guest and refresh: the access token and the user, and the refresh token
// in the cookie or (RefreshTokenIn::kBody) in the body.
Response session_response(const Request& request, const auth::IssuedSession& session,
                          std::int64_t now, bool secure_cookie, RefreshTokenIn where) {
  const auth::User& user = session.user;
  json::object body{
      {"accessToken", session.access_token},
      {"tokenType", "Bearer"},
      {"expiresIn", session.access_expires_in},
      {"user",
       {{"id", user.id},
        {"username", user.guest ? json::value(nullptr) : json::value(user.username)},
        {"displayName", user.display_name},
        {"role", auth::to_string(user.role)},
        {"guest", user.guest}}},
  };
  if (where == RefreshTokenIn::kBody) {
    body["refreshToken"] = session.refresh_token;
    body["refreshExpiresIn"] = session.refresh_expires_at - now;
  }
  Response response =
      make_response(request, bhttp::status::ok, json::serialize(body), "application/json");
  if (where == RefreshTokenIn::kCookie) {
    response.set(
        bhttp::field::set_cookie,
        refresh_cookie(session.refresh_token, session.refresh_expires_at - now, secure_cookie));
  }
  return response;
}

// A refused refresh or guest resume also drops the cookie, unless the client keeps its token in
// the body: then the client never had a cookie of ours to drop.
Response with_cleared_cookie(Response response, bool secure_cookie,
                             RefreshTokenIn where = RefreshTokenIn::kCookie) {
  if (where == RefreshTokenIn::kCookie)
    response.set(bhttp::field::set_cookie, refresh_cookie("", 0, secure_cookie));
  return response;
}

// refresh_token_in(), with its refusal as a 400 response; always the body for a cross-origin page.
std::optional<RefreshTokenIn> token_place(const json::object& body, const Request& request,
                                          std::optional<Response>& refusal) {
  auto where = refresh_token_in(body);
  if (!where) {
    refusal = error_response(request, bhttp::status::bad_request, "bad_request", where.error());
    return std::nullopt;
  }
  // A page of another allowed origin (http/cors.hpp) never gets our cookie: its fetch carries no
  // credentials and the cookie is SameSite=Strict. It keeps its refresh token itself.
  if (is_cross_origin_request(request)) return RefreshTokenIn::kBody;
  return where.value();
}

Response auth_error(const Request& request, auth::AuthError error) {
  switch (error) {
    case auth::AuthError::kBadCredentials:
      return error_response(request, bhttp::status::unauthorized, "invalid_credentials",
                            auth::describe(error));
    case auth::AuthError::kDisabled:
      return error_response(request, bhttp::status::forbidden, "account_disabled",
                            auth::describe(error));
    case auth::AuthError::kInvalidToken:
      return error_response(request, bhttp::status::unauthorized, "invalid_token",
                            auth::describe(error));
    case auth::AuthError::kTokenReused:
      return error_response(request, bhttp::status::unauthorized, "token_reused",
                            auth::describe(error));
    case auth::AuthError::kInvalidInput:
      return error_response(request, bhttp::status::bad_request, "bad_request",
                            auth::describe(error));
  }
  return error_response(request, bhttp::status::unauthorized, "unauthorized", "not authenticated");
}

// The bearer credential of a request, checked; a 401 refusal when there is none or it is bad.
std::optional<auth::Principal> bearer_principal(const Request& request, auth::TokenService& tokens,
                                                std::optional<Response>& refusal) {
  const std::string_view token = auth::bearer_token(request[bhttp::field::authorization]);
  if (token.empty()) {
    refusal = error_response(request, bhttp::status::unauthorized, "unauthorized",
                             "an Authorization: Bearer access token is required");
    refusal->set(bhttp::field::www_authenticate, "Bearer");
    return std::nullopt;
  }
  auto principal = tokens.verify_access(token, util::unix_seconds());
  if (!principal) {
    refusal =
        error_response(request, bhttp::status::unauthorized, "invalid_token", principal.error());
    refusal->set(bhttp::field::www_authenticate, "Bearer error=\"invalid_token\"");
    return std::nullopt;
  }
  return std::move(principal.value());
}

}  // namespace

util::Result<RefreshTokenIn, std::string> refresh_token_in(const json::object& body) {
  const json::value* field = body.if_contains("refreshTokenIn");
  if (field == nullptr || field->is_null()) return RefreshTokenIn::kCookie;
  if (field->is_string() && field->as_string() == "body") return RefreshTokenIn::kBody;
  return util::unexpected(
      std::string("\"refreshTokenIn\" may only be \"body\" (or absent, for the cookie)"));
}

std::string_view cookie_value(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    const std::size_t semicolon = header.find(';');
    std::string_view pair = header.substr(0, semicolon);
    header =
        semicolon == std::string_view::npos ? std::string_view{} : header.substr(semicolon + 1);
    while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
    const std::size_t eq = pair.find('=');
    if (eq != std::string_view::npos && pair.substr(0, eq) == name) {
      std::string_view value = pair.substr(eq + 1);
      while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
        value = value.substr(1, value.size() - 2);
      return value;
    }
  }
  return {};
}

namespace {

// The refresh token a request presents: the cookie's, else the one its body names (a client that
// keeps it there, such as an embedded widget). Empty when neither.
std::string presented_refresh_token(const Request& request,
                                    const std::optional<std::string>& from_body) {
  std::string token(cookie_value(request[bhttp::field::cookie], kRefreshCookie));
  if (token.empty() && from_body) token = *from_body;
  return token;
}

// The answer to a refused guest resume or refresh. A reused (already rotated) token means the
// client or an attacker holds a stolen copy: the family was revoked, which the log and the metrics
// say; the refusal clears the cookie either way.
Response refused_session(const Request& request, const RequestInfo& info, AuthRouteDeps& deps,
                         auth::AuthError error, std::string_view route, bool secure_cookie,
                         RefreshTokenIn where) {
  if (error == auth::AuthError::kTokenReused) {
    spdlog::warn(
        "security: refresh token reused on {} remote={} request={}; its family was revoked", route,
        info.remote_address, request_id_of(request));
    deps.metrics.error("refresh_token_reuse");
  }
  return with_cleared_cookie(auth_error(request, error), secure_cookie, where);
}

// A cookie route refused to another site: counted and logged (a page trying to use our cookie,
// or a site missing from ws.allowed-origins), with the refusal's reason.
Response cross_site_refusal(Response refusal, const RequestInfo& info, AuthRouteDeps& deps,
                            std::string_view route) {
  deps.metrics.error("cross_site_refused");
  spdlog::warn("security: cross-site request refused on {} remote={} request={}: {}", route,
               info.remote_address, std::string_view(refusal[kRequestIdField]), refusal.body());
  return refusal;
}

}  // namespace

void add_auth_routes(Router& router, AuthRouteDeps& deps) {
  auto secure_cookie = [&deps](const RequestInfo& info) {
    return info.secure || deps.config.auth.cookie_secure;
  };

  router.add_async(
      bhttp::verb::post, "/api/auth/login",
      [&deps, secure_cookie](const Request& request,
                             const RequestInfo& info) -> asio::awaitable<Generator> {
        std::optional<Response> refusal;
        auto body = body_object(request, refusal);
        if (!body) co_return std::move(*refusal);
        auto username = string_field(*body, "username", request, refusal);
        auto password = string_field(*body, "password", request, refusal);
        if (refusal) co_return std::move(*refusal);
        const auto where = token_place(*body, request, refusal);
        if (!where) co_return std::move(*refusal);
        if (!username || !password) {
          co_return error_response(request, bhttp::status::bad_request, "bad_request",
                                   "\"username\" and \"password\" are required");
        }
        const std::int64_t now = util::unix_seconds();
        // Counted before the password is checked, in the same step as the limits are (see
        // auth/login_throttle.hpp). The throttle's failures may live in Redis (several nodes):
        // off the I/O thread then.
        auto begin = [&deps, &username, &info, now] {
          return deps.throttle.begin(*username, info.remote_address, now);
        };
        // Not `local ? f() : co_await ...`: GCC 12 destroys the temporaries of a co_await inside a
        // conditional expression twice.
        auth::LoginThrottle::Attempt attempt;
        if (deps.throttle.is_local()) {
          attempt = begin();
        } else {
          attempt = co_await deps.pool.run(std::move(begin));
        }
        if (const std::int64_t wait = attempt.retry_after; wait > 0) {
          deps.metrics.error("login_throttled");
          Response response =
              error_response(request, bhttp::status::too_many_requests, "rate_limited",
                             "too many failed logins; try again in " + std::to_string(wait) + " s");
          response.set(bhttp::field::retry_after, std::to_string(wait));
          co_return response;
        }
        auto work = [&deps, &username, &password, &info, &attempt, now] {
          std::optional<util::Result<auth::IssuedSession, auth::AuthError>> session;
          try {
            session.emplace(deps.tokens.login(*username, *password, now));
          } catch (...) {
            deps.throttle.abandoned(*username, info.remote_address, attempt);
            throw;
          }
          if (*session) {
            deps.throttle.succeeded(*username, info.remote_address, attempt);
          } else if (session->error() != auth::AuthError::kBadCredentials) {
            deps.throttle.abandoned(*username, info.remote_address, attempt);
          }  // a wrong password: the attempt stays counted
          return std::move(*session);
        };
        auto checked = co_await deps.hash_pool.try_run(std::move(work));
        if (!checked) {
          auto abandon = [&deps, &username, &info, &attempt] {
            deps.throttle.abandoned(*username, info.remote_address, attempt);
          };
          if (deps.throttle.is_local()) {
            abandon();
          } else {
            co_await deps.pool.run(std::move(abandon));
          }
          deps.metrics.error("login_busy");
          Response response = error_response(
              request, bhttp::status::service_unavailable, "busy",
              "too many logins are checking passwords at the moment (auth.hash-queue is full); "
              "retry in 1 s");
          response.set(bhttp::field::retry_after, "1");
          co_return response;
        }
        auto& session = *checked;
        if (!session) {
          if (session.error() == auth::AuthError::kBadCredentials) {
            deps.metrics.error("login_failed");
          }
          co_return auth_error(request, session.error());
        }
        spdlog::info("login user={} role={} remote={} request={}", session->user.id,
                     auth::to_string(session->user.role), info.remote_address,
                     request_id_of(request));
        co_return session_response(request, *session, now, secure_cookie(info), *where);
      });

  router.add_async(
      bhttp::verb::post, "/api/auth/guest",
      [&deps, secure_cookie](const Request& request,
                             const RequestInfo& info) -> asio::awaitable<Generator> {
        if (auto foreign = refuse_cross_site(request, deps.config.ws.allowed_origins)) {
          co_return cross_site_refusal(std::move(*foreign), info, deps, "/api/auth/guest");
        }
        std::optional<Response> refusal;
        auto body = body_object(request, refusal);
        if (!body) co_return std::move(*refusal);
        auto display_name = string_field(*body, "displayName", request, refusal);
        auto from_body = string_field(*body, "refreshToken", request, refusal);
        if (refusal) co_return std::move(*refusal);
        const auto where = token_place(*body, request, refusal);
        if (!where) co_return std::move(*refusal);
        // The guest to resume, if any.
        const std::string cookie = presented_refresh_token(request, from_body);
        // Only the creation of new customers is limited; a returning one always gets back in.
        if (cookie.empty() &&
            !deps.guest_limiter.allow(info.remote_address, std::chrono::steady_clock::now())) {
          deps.metrics.error("guest_rate_limited");
          Response response =
              error_response(request, bhttp::status::too_many_requests, "rate_limited",
                             "too many new guests from this address; retry shortly");
          response.set(bhttp::field::retry_after, "1");
          co_return response;
        }
        const std::int64_t now = util::unix_seconds();
        auto work = [&deps, &display_name, &cookie, now] {
          std::optional<std::string_view> presented;
          if (!cookie.empty()) presented = cookie;
          return deps.tokens.guest(display_name.value_or(""), presented, now);
        };
        auto session = co_await deps.pool.run(std::move(work));
        if (!session) {
          co_return refused_session(request, info, deps, session.error(), "/api/auth/guest",
                                    secure_cookie(info), *where);
        }
        // A customer's journey starts here: their user id, then their STOMP connections.
        spdlog::info("guest user={} {} remote={} request={}", session->user.id,
                     cookie.empty() ? "created" : "resumed", info.remote_address,
                     request_id_of(request));
        co_return session_response(request, *session, now, secure_cookie(info), *where);
      });

  router.add_async(
      bhttp::verb::post, "/api/auth/refresh",
      [&deps, secure_cookie](const Request& request,
                             const RequestInfo& info) -> asio::awaitable<Generator> {
        if (auto foreign = refuse_cross_site(request, deps.config.ws.allowed_origins)) {
          co_return cross_site_refusal(std::move(*foreign), info, deps, "/api/auth/refresh");
        }
        std::optional<Response> refusal;
        auto body = body_object(request, refusal);
        if (!body) co_return std::move(*refusal);
        auto from_body = string_field(*body, "refreshToken", request, refusal);
        if (refusal) co_return std::move(*refusal);
        const auto where = token_place(*body, request, refusal);
        if (!where) co_return std::move(*refusal);
        const std::string token = presented_refresh_token(request, from_body);
        if (token.empty()) {
          co_return error_response(request, bhttp::status::unauthorized, "invalid_token",
                                   "no refresh token: sign in again");
        }
        const std::int64_t now = util::unix_seconds();
        auto work = [&deps, &token, now] { return deps.tokens.refresh(token, now); };
        auto session = co_await deps.pool.run(std::move(work));
        if (!session) {
          co_return refused_session(request, info, deps, session.error(), "/api/auth/refresh",
                                    secure_cookie(info), *where);
        }
        co_return session_response(request, *session, now, secure_cookie(info), *where);
      });

  router.add_async(
      bhttp::verb::post, "/api/auth/logout",
      [&deps, secure_cookie](const Request& request,
                             const RequestInfo& info) -> asio::awaitable<Generator> {
        if (auto foreign = refuse_cross_site(request, deps.config.ws.allowed_origins)) {
          co_return cross_site_refusal(std::move(*foreign), info, deps, "/api/auth/logout");
        }
        if (auto not_json = refuse_non_json(request)) co_return std::move(*not_json);
        std::optional<Response> refusal;
        auto principal = bearer_principal(request, deps.tokens, refusal);
        if (!principal) co_return std::move(*refusal);
        std::string cookie(cookie_value(request[bhttp::field::cookie], kRefreshCookie));
        // A client that keeps its refresh token in the body (refreshTokenIn) names it there, so its
        // login's family is revoked too. Any other body is ignored, as it always was.
        if (cookie.empty()) {
          std::optional<Response> ignored;
          if (auto body = body_object(request, ignored)) {
            const json::value* token = body->if_contains("refreshToken");
            if (token != nullptr && token->is_string()) cookie = std::string(token->as_string());
          }
        }
        const std::int64_t now = util::unix_seconds();
        auto work = [&deps, &principal, &cookie, now] {
          std::optional<std::string_view> presented;
          if (!cookie.empty()) presented = cookie;
          deps.tokens.logout(*principal, presented, now);
        };
        co_await deps.pool.run(std::move(work));
        // The login ends with its refresh tokens, access tokens and STOMP sessions (which the
        // token service's revocation listener closes); the user's other devices keep theirs. A
        // token of no login (no sid claim) ends all of the user's sessions instead.
        std::size_t closed = 0;
        if (principal->login_id.empty()) {
          closed = deps.hub.close_user_sessions(
              principal->user_id, "authentication failed: token revoked (signed out)");
        }
        spdlog::info(
            "logout user={} login_revoked={} remote={} stomp_sessions_closed={} request={}",
            principal->user_id, !principal->login_id.empty(), info.remote_address, closed,
            request_id_of(request));
        Response response =
            make_response(request, bhttp::status::no_content, "", "application/json");
        co_return with_cleared_cookie(
            std::move(response), secure_cookie(info),
            is_cross_origin_request(request) ? RefreshTokenIn::kBody : RefreshTokenIn::kCookie);
      });

  router.add_async(
      bhttp::verb::post, "/api/auth/ws-ticket",
      [&deps](const Request& request, const RequestInfo&) -> asio::awaitable<Generator> {
        std::optional<Response> refusal;
        auto principal = bearer_principal(request, deps.tokens, refusal);
        if (!principal) co_return std::move(*refusal);
        // Tickets may live in Redis (several nodes): stored off the I/O thread then.
        auto issue = [&deps, &principal] {
          return deps.tokens.issue_ticket(*principal, util::unix_seconds());
        };
        std::string ticket;  // not a conditional expression around co_await: see the login route
        if (deps.tokens.tickets_are_local()) {
          ticket = issue();
        } else {
          ticket = co_await deps.pool.run(std::move(issue));
        }
        json::object body{{"ticket", ticket},
                          {"expiresIn", deps.tokens.settings().ticket_validity}};
        co_return make_response(request, bhttp::status::ok, json::serialize(body),
                                "application/json");
      });
}

}  // namespace aicc::http
