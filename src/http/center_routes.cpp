#include "http/center_routes.hpp"

#include <spdlog/spdlog.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>

#include "center/history_query.hpp"
#include "http/request_checks.hpp"
#include "http/request_id.hpp"
#include "log/rate_limited.hpp"
#include "util/random.hpp"
#include "util/time.hpp"
#include "util/url_decode.hpp"

namespace aicc::http {
namespace {

namespace asio = boost::asio;
using Generator = bhttp::message_generator;

// Content-Disposition for a file named `name` (RFC 6266): an ASCII fallback for old clients and
// the exact UTF-8 name (RFC 5987), so neither quotes nor line breaks can reach the header.
std::string disposition(std::string_view name, bool show_inline) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string fallback;
  std::string encoded;
  for (const char c : name) {
    const auto u = static_cast<unsigned char>(c);
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       c == '.' || c == '-' || c == '_';
    fallback += plain || c == ' ' ? c : '_';
    if (plain) {
      encoded += c;
    } else {
      encoded += '%';
      encoded += kHex[u >> 4];
      encoded += kHex[u & 0xf];
    }
  }
  return std::string(show_inline ? "inline" : "attachment") + "; filename=\"" + fallback +
         "\"; filename*=UTF-8''" + encoded;
}

// A refusal's body with the request's correlation id added (`requestId`, as error_response()
// gives every other error body): the service that wrote it never saw the request.
std::string with_request_id(const Request& request, const center::Answer& answer) {
  if (answer.status < 400 || answer.content_type != "application/json") return answer.body;
  boost::system::error_code error;
  boost::json::value body = boost::json::parse(answer.body, error);
  if (error || !body.is_object() || !body.as_object().contains("error") ||
      body.as_object().contains("requestId")) {
    return answer.body;
  }
  body.as_object()["requestId"] = request_id_of(request);
  return boost::json::serialize(body);
}

Response to_response(const Request& request, const center::Answer& answer) {
  Response response = make_response(request, static_cast<bhttp::status>(answer.status),
                                    with_request_id(request, answer), answer.content_type);
  if (!answer.download_name.empty()) {
    response.set(bhttp::field::content_disposition,
                 disposition(answer.download_name, answer.inline_file));
    // A file from a chat is never a page: nothing in it runs, even opened on its own.
    response.set("Content-Security-Policy", "default-src 'none'; sandbox");
    // Customers' files and exports stay off shared machines' disks.
    response.set(bhttp::field::cache_control, "no-store");
  }
  return response;
}

// A refused webhook is the bot's problem more often than an attack (a wrong secret, a skewed
// clock, a proxy that alters the body), and the customers only see apologies meanwhile: the
// operator gets a warning with the reason, at most one per reason every 10 s, and the refusal
// carries the request's correlation id (X-Request-Id) that the log line repeats, so the bot's side
// can find it.
center::Answer logged_webhook_refusal(center::Answer answer, const Request& request,
                                      const RequestInfo& info, log::RateLimitedLog& limiter) {
  boost::system::error_code error;
  boost::json::value body = boost::json::parse(answer.body, error);
  if (error || !body.is_object()) return answer;
  boost::json::object& object = body.as_object();
  const std::string id(request_id_of(request));
  object["correlationId"] = id;
  object["requestId"] = id;
  const auto text = [&](std::string_view name) -> std::string {
    const boost::json::value* field = object.if_contains(name);
    return field != nullptr && field->is_string() ? std::string(field->get_string()) : "";
  };
  const std::string code = text("error");
  if (const auto left_out = limiter.admit(code, std::chrono::steady_clock::now())) {
    spdlog::warn("security: bot webhook refused: {} ({}) status={} remote={} request={}{}", code,
                 text("message"), answer.status, info.remote_address, id,
                 *left_out > 0
                     ? fmt::format(" ({} more refusals of this kind not logged)", *left_out)
                     : std::string());
  }
  answer.body = boost::json::serialize(body);
  return answer;
}

// A GET of a read-only view: the bearer's caller, handed to `view`, which checks the role.
using View = asio::awaitable<center::Answer> (center::ContactCenter::*)(center::Caller);
void add_view(Router& router, std::string path, center::ContactCenter& center,
              auth::TokenService& tokens, View view) {
  router.add_async(bhttp::verb::get, std::move(path),
                   [&center, &tokens, view](const Request& request,
                                            const RequestInfo&) -> asio::awaitable<Generator> {
                     std::optional<Response> refusal;
                     auto caller = bearer_caller(request, tokens, refusal);
                     if (!caller) co_return std::move(*refusal);
                     const center::Answer answer = co_await (center.*view)(std::move(*caller));
                     co_return to_response(request, answer);
                   });
}

// The {id} of `prefix`{id}`suffix` (at most 128 bytes, no '/'); nullopt for any other path.
std::optional<std::string_view> id_between(const Request& request, std::string_view prefix,
                                           std::string_view suffix) {
  std::string_view id = target_path(request.target()).substr(prefix.size());
  if (!id.ends_with(suffix) || id.size() == suffix.size() || id.size() > 128 + suffix.size())
    return std::nullopt;
  id.remove_suffix(suffix.size());
  if (id.find('/') != std::string_view::npos) return std::nullopt;
  return id;
}

// A bearer-authenticated route for `prefix`{id}`suffix`: 404 for any other path under the prefix,
// the refusals of bearer_caller (and, with `json_body`, of refuse_non_json), else what `answer`
// says for the caller, the id and the request.
using IdAnswer =
    std::function<asio::awaitable<center::Answer>(center::Caller, std::string, const Request&)>;
void add_id_route(Router& router, bhttp::verb verb, std::string prefix, std::string suffix,
                  auth::TokenService& tokens, IdAnswer answer, bool json_body = false) {
  std::string path_template = prefix + "{id}" + suffix;
  router.add_prefix_async(
      verb, prefix, std::move(path_template),
      [prefix, suffix, &tokens, json_body, answer = std::move(answer)](
          const Request& request, const RequestInfo&) -> asio::awaitable<Generator> {
        const auto id = id_between(request, prefix, suffix);
        if (!id) {
          co_return error_response(request, bhttp::status::not_found, "not_found",
                                   "no such API endpoint");
        }
        std::optional<Response> refusal;
        auto caller = bearer_caller(request, tokens, refusal);
        if (!caller) co_return std::move(*refusal);
        if (json_body) {
          if (auto not_json = refuse_non_json(request)) co_return std::move(*not_json);
        }
        co_return to_response(request,
                              co_await answer(std::move(*caller), std::string(*id), request));
      });
}

}  // namespace

std::optional<center::Caller> bearer_caller(const Request& request, auth::TokenService& tokens,
                                            std::optional<Response>& refusal) {
  const std::string_view token = auth::bearer_token(request[bhttp::field::authorization]);
  auto principal = token.empty()
                       ? util::Result<auth::Principal, std::string>(util::unexpected(
                             std::string("an Authorization: Bearer access token is required")))
                       : tokens.verify_access(token, util::unix_seconds());
  if (!principal) {
    refusal = error_response(request, bhttp::status::unauthorized,
                             token.empty() ? "unauthorized" : "invalid_token", principal.error());
    refusal->set(bhttp::field::www_authenticate, "Bearer");
    return std::nullopt;
  }
  return center::Caller{principal->user_id, principal->role, principal->name};
}

void add_center_routes(Router& router, center::ContactCenter& center, auth::TokenService& tokens,
                       Router::AsyncHandler user_audit) {
  add_view(router, "/api/consult/current", center, tokens, &center::ContactCenter::current_consult);
  // Public, like a shop's opening hours: the widget says them before anyone signs in.
  router.add(bhttp::verb::get, "/api/consult/hours", [&center](const Request& request) {
    return Generator(to_response(request, center.business_hours_now()));
  });
  add_view(router, "/api/consult/history", center, tokens,
           &center::ContactCenter::customer_history);
  add_view(router, "/api/consult/queue", center, tokens, &center::ContactCenter::consult_queue);
  add_view(router, "/api/agent/rooms", center, tokens, &center::ContactCenter::agent_rooms);
  add_view(router, "/api/agents", center, tokens, &center::ContactCenter::agent_list);
  add_view(router, "/api/admin/stats", center, tokens, &center::ContactCenter::stats);
  add_view(router, "/api/agent/canned-responses", center, tokens,
           &center::ContactCenter::canned_responses);

  router.add_async(
      bhttp::verb::put, "/api/agent/canned-responses",
      [&center, &tokens](const Request& request, const RequestInfo&) -> asio::awaitable<Generator> {
        std::optional<Response> refusal;
        auto caller = bearer_caller(request, tokens, refusal);
        if (!caller) co_return std::move(*refusal);
        if (auto not_json = refuse_non_json(request)) co_return std::move(*not_json);
        const center::Answer answer =
            co_await center.replace_canned_responses(std::move(*caller), request.body());
        co_return to_response(request, answer);
      });

  router.add_async(
      bhttp::verb::post, "/api/bot/message",
      [&center, &tokens](const Request& request, const RequestInfo&) -> asio::awaitable<Generator> {
        std::optional<Response> refusal;
        auto caller = bearer_caller(request, tokens, refusal);
        if (!caller) co_return std::move(*refusal);
        if (auto not_json = refuse_non_json(request)) co_return std::move(*not_json);
        const center::Answer answer =
            co_await center.post_bot_message(std::move(*caller), request.body());
        co_return to_response(request, answer);
      });

  auto webhook_refusals = std::make_shared<log::RateLimitedLog>(std::chrono::seconds(10));
  router.add_async(
      bhttp::verb::post, "/api/bot/webhook",
      [&center, webhook_refusals](const Request& request,
                                  const RequestInfo& info) -> asio::awaitable<Generator> {
        if (auto not_json = refuse_non_json(request)) co_return std::move(*not_json);
        center::Answer answer =
            co_await center.bot_webhook(std::string(request["X-Aicc-Timestamp"]),
                                        std::string(request["X-Aicc-Signature"]), request.body());
        // Refusals of the caller (signature, timestamp, replay, ownership, no secret set); an
        // unknown session or a bad body is the bot's answer to a conversation, not its credentials.
        if (answer.status == 401 || answer.status == 403 || answer.status == 409 ||
            answer.status == 503) {
          answer = logged_webhook_refusal(std::move(answer), request, info, *webhook_refusals);
        }
        co_return to_response(request, answer);
      });

  router.add_async(
      bhttp::verb::get, "/api/admin/audit",
      [&center, &tokens, user_audit = std::move(user_audit)](
          const Request& request, const RequestInfo& info) -> asio::awaitable<Generator> {
        // Two logs: routing decisions (the default) and user administration (kind=users).
        const std::string_view kind = query_param(request.target(), "kind");
        if (kind == "users" && user_audit) co_return co_await user_audit(request, info);
        if (!kind.empty() && kind != "routing") {
          co_return error_response(request, bhttp::status::bad_request, "bad_request",
                                   "kind must be \"routing\" or \"users\"");
        }
        std::optional<Response> refusal;
        auto caller = bearer_caller(request, tokens, refusal);
        if (!caller) co_return std::move(*refusal);
        std::map<std::string, std::string> query;
        for (const char* name : {"requestId", "agentId", "from", "to", "after", "limit", "order"}) {
          query[name] = std::string(query_param(request.target(), name));
        }
        const center::Answer answer = co_await center.audit(std::move(*caller), std::move(query));
        co_return to_response(request, answer);
      });

  router.add_async(
      bhttp::verb::get, "/api/consult/offline",
      [&center, &tokens](const Request& request, const RequestInfo&) -> asio::awaitable<Generator> {
        std::optional<Response> refusal;
        auto caller = bearer_caller(request, tokens, refusal);
        if (!caller) co_return std::move(*refusal);
        const bool all = query_param(request.target(), "all") == "1";
        const center::Answer answer = co_await center.offline_requests(std::move(*caller), all);
        co_return to_response(request, answer);
      });

  add_id_route(router, bhttp::verb::delete_, "/api/admin/customers/", "", tokens,
               [&center](center::Caller caller, std::string id, const Request&) {
                 return center.erase_customer(std::move(caller), std::move(id));
               });
  add_id_route(router, bhttp::verb::get, "/api/customers/", "/context", tokens,
               [&center](center::Caller caller, std::string id, const Request&) {
                 return center.customer_context(std::move(caller), std::move(id));
               });

  // The history: the list (and its CSV export) take the filters of center/history_query.hpp.
  auto history_parameters = [](const Request& request) {
    std::map<std::string, std::string> parameters;
    for (const char* name : center::kHistoryParameters) {
      parameters[name] = util::url_decode(query_param(request.target(), name));
    }
    return parameters;
  };
  for (const bool csv : {false, true}) {
    router.add_async(
        bhttp::verb::get, csv ? "/api/history/rooms.csv" : "/api/history/rooms",
        [&center, &tokens, csv, history_parameters](
            const Request& request, const RequestInfo&) -> asio::awaitable<Generator> {
          std::optional<Response> refusal;
          auto caller = bearer_caller(request, tokens, refusal);
          if (!caller) co_return std::move(*refusal);
          auto parameters = history_parameters(request);
          // Two statements: GCC 12 miscompiles co_await inside a conditional expression.
          if (csv) {
            co_return to_response(request, co_await center.room_history_csv(std::move(*caller),
                                                                            std::move(parameters)));
          }
          co_return to_response(
              request, co_await center.room_history(std::move(*caller), std::move(parameters)));
        });
  }
  add_id_route(router, bhttp::verb::get, "/api/history/rooms/", "", tokens,
               [&center](center::Caller caller, std::string id, const Request&) {
                 return center.room_record(std::move(caller), std::move(id));
               });

  // Files in chats: the upload's body limit is attachments.max-bytes (http_session.cpp).
  add_id_route(router, bhttp::verb::post, "/api/rooms/", "/attachments", tokens,
               [&center](center::Caller caller, std::string id, const Request& request) {
                 return center.upload_attachment(
                     std::move(caller), std::move(id),
                     std::string(request[bhttp::field::content_type]),
                     util::url_decode(query_param(request.target(), "name")), request.body());
               });
  add_id_route(router, bhttp::verb::get, "/api/attachments/", "", tokens,
               [&center](center::Caller caller, std::string id, const Request&) {
                 return center.attachment(std::move(caller), std::move(id));
               });

  add_id_route(
      router, bhttp::verb::post, "/api/admin/agents/", "/status", tokens,
      [&center](center::Caller caller, std::string id, const Request& request) {
        return center.supervise_agent(std::move(caller), std::move(id), request.body());
      },
      true);

  add_id_route(router, bhttp::verb::get, "/api/conversations/", "/messages", tokens,
               [&center](center::Caller caller, std::string id, const Request& request) {
                 return center.history(std::move(caller), std::move(id),
                                       std::string(query_param(request.target(), "after")),
                                       std::string(query_param(request.target(), "limit")));
               });
}

}  // namespace aicc::http
