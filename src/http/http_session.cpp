#include "http/http_session.hpp"

#include <spdlog/spdlog.h>

#include <array>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/rfc7230.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <limits>

#include "auth/token_service.hpp"
#include "http/cors.hpp"
#include "http/request_id.hpp"
#include "http/router.hpp"
#include "http/sockjs_server.hpp"
#include "http/upload_gate.hpp"
#include "log/rate_limited.hpp"
#include "net/await_result.hpp"
#include "net/ws_frame.hpp"
#include "net/ws_session.hpp"
#include "net/ws_transport.hpp"

namespace aicc::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;

constexpr std::size_t kMaxHeaderBytes = 16 * 1024;
constexpr std::size_t kMaxBodyBytes = 1024 * 1024;
constexpr auto kRequestTimeout = std::chrono::seconds(30);
// A file upload may take a while on a phone's connection (10 MiB at 1 Mbit/s: 84 s).
constexpr auto kUploadTimeout = std::chrono::minutes(5);

// POST /api/rooms/{id}/attachments: the one request whose body may pass kMaxBodyBytes, up to
// attachments.max-bytes, and only with a valid access token (checked before the body is read, so
// nobody unknown makes the server hold megabytes).
bool is_upload(const Request& request) {
  const std::string_view path = target_path(request.target());
  return request.method() == bhttp::verb::post && path.starts_with("/api/rooms/") &&
         path.ends_with("/attachments");
}

// After refusing a request whose body is still coming (an upload too large or without a token),
// the client is still sending: closing at once would reset the connection before it reads the
// refusal. Its remaining bytes are read and dropped (never kept) for a short while, as servers'
// "lingering close" does, then the connection closes.
asio::awaitable<void> linger(beast::tcp_stream& stream) {
  constexpr auto kLinger = std::chrono::seconds(2);
  constexpr std::size_t kMaxDropped = 64 * 1024 * 1024;
  beast::error_code ignored;
  stream.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
  stream.expires_after(kLinger);
  std::array<char, 16 * 1024> sink;
  for (std::size_t dropped = 0; dropped < kMaxDropped;) {
    auto [error, n] = co_await stream.async_read_some(asio::buffer(sink), net::kAwaitResult);
    if (error) break;
    dropped += n;
  }
}

// The user of a valid access token on the request; nullopt without one.
std::optional<std::string> token_user(HttpContext& context, const Request& request) {
  const std::string_view token = auth::bearer_token(request[bhttp::field::authorization]);
  if (token.empty()) return std::nullopt;
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  auto principal = context.services.tokens.verify_access(token, now);
  if (!principal) return std::nullopt;
  return principal->user_id;
}

std::string remote_of(const beast::tcp_stream& stream) {
  beast::error_code error;
  const auto endpoint = stream.socket().remote_endpoint(error);
  return error ? std::string("unknown") : endpoint.address().to_string();
}

// Refuses a WebSocket handshake that fails the origin or rate checks; nullopt lets it through.
std::optional<Response> check_handshake(HttpContext& context, const Request& request,
                                        const std::string& remote) {
  const auto& ws = context.services.config.ws;
  if (!net::origin_allowed(request[bhttp::field::origin], request[bhttp::field::host],
                           ws.allowed_origins)) {
    context.services.metrics.error("origin_refused");
    return error_response(request, bhttp::status::forbidden, "origin_not_allowed",
                          "this Origin may not open WebSockets here (see ws.allowed-origins)");
  }
  // What RFC 6455 section 4.2.1 asks of an opening handshake. Another method is answered like
  // any method a resource does not allow, which is what the SockJS protocol suite expects.
  if (request.method() != bhttp::verb::get) return method_not_allowed(request, "GET");
  if (request.version() < 11) {
    return error_response(request, bhttp::status::bad_request, "bad_request",
                          "a WebSocket handshake is an HTTP/1.1 GET request");
  }
  if (!beast::websocket::is_upgrade(request)) {
    return error_response(request, bhttp::status::bad_request, "bad_request",
                          "a WebSocket handshake needs Connection: Upgrade");
  }
  if (request[bhttp::field::sec_websocket_version] != "13") {
    Response refusal = error_response(request, bhttp::status::upgrade_required, "bad_request",
                                      "unsupported WebSocket version: only 13 is spoken here");
    refusal.set(bhttp::field::sec_websocket_version, "13");
    return refusal;
  }
  if (net::websocket_accept_key(request[bhttp::field::sec_websocket_key]).empty()) {
    return error_response(request, bhttp::status::bad_request, "bad_request",
                          "Sec-WebSocket-Key must be the base64 of 16 bytes");
  }
  if (!context.handshake_limiter.allow(remote, std::chrono::steady_clock::now())) {
    context.services.metrics.error("handshake_rate_limited");
    return error_response(request, bhttp::status::too_many_requests, "rate_limited",
                          "too many WebSocket handshakes from this address; retry shortly");
  }
  return std::nullopt;
}

// Behind a trusted reverse proxy the client is the last X-Forwarded-For hop (the one that proxy
// added: earlier ones are whatever the client wrote) and TLS is what X-Forwarded-Proto says;
// otherwise the TCP peer, with TLS when it came over this server's own.
RequestInfo request_info(const HttpContext& context, const Request& request,
                         const std::string& remote, bool tls) {
  RequestInfo info{remote, tls};
  if (!context.services.config.server.trust_proxy) return info;
  std::string_view forwarded;
  const auto fields = request.equal_range("X-Forwarded-For");
  for (auto it = fields.first; it != fields.second; ++it) forwarded = it->value();
  if (const std::size_t comma = forwarded.rfind(','); comma != std::string_view::npos) {
    forwarded.remove_prefix(comma + 1);
  }
  while (!forwarded.empty() && forwarded.front() == ' ') forwarded.remove_prefix(1);
  while (!forwarded.empty() && forwarded.back() == ' ') forwarded.remove_suffix(1);
  if (!forwarded.empty() && forwarded.size() <= 64) info.remote_address = std::string(forwarded);
  info.secure = tls || request["X-Forwarded-Proto"] == "https";
  return info;
}

// A CORS preflight, answered here rather than routed. A refusal is counted and logged (one line
// per origin and 10 s): a page of a site missing from ws.allowed-origins shows in the log, not only
// in the browser's console.
Response answer_preflight(const HttpContext& context, const Request& request,
                          const RequestInfo& info) {
  Response response = preflight_response(request, context.services.config.ws.allowed_origins);
  if (response.result() != bhttp::status::no_content) {
    context.services.metrics.error("cors_refused");
    static log::RateLimitedLog refusals(std::chrono::seconds(10));
    const std::string_view sent = request[bhttp::field::origin];
    const std::string origin(sent.substr(0, 200));
    if (const auto left_out = refusals.admit(origin, log::RateLimitedLog::Clock::now())) {
      spdlog::warn(
          "CORS preflight refused {} origin=\"{}\" remote={} request={}: {} (refusals of this "
          "origin left out since the last line: {})",
          std::string(target_path(request.target())), origin, info.remote_address,
          request_id_of(request), response.body(), *left_out);
    }
  }
  return response;
}

}  // namespace

asio::awaitable<void> run_http_session(HttpContext& context, asio::ip::tcp::socket socket,
                                       std::optional<PeerInfo> peer) {
  beast::tcp_stream stream(std::move(socket));
  const std::string remote = peer ? peer->address : remote_of(stream);
  const bool tls = peer && peer->tls;
  // A TLS connection keeps its place in server.max-connections through its bridge.
  std::atomic<std::size_t>* const open_count = tls ? nullptr : context.open_connections;
  beast::flat_buffer buffer;
  while (true) {
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(kMaxHeaderBytes);
    // Beast would check a declared Content-Length against the limit as the header ends, before
    // this code knows the route and the caller: no limit while the header is read; it is set (and
    // the length checked) below.
    const auto max_upload =
        static_cast<std::uint64_t>(context.services.config.attachments.max_bytes);
    parser.body_limit(std::numeric_limits<std::uint64_t>::max());
    stream.expires_after(kRequestTimeout);
    auto [read_error, n] =
        co_await bhttp::async_read_header(stream, buffer, parser, net::kAwaitResult);
    // Only a header read whole has had its CORS mark checked (a client's copy removed).
    const bool header_read = !read_error;
    if (header_read) {
      assign_request_id(parser.get());
      mark_cors_request(parser.get(), context.services.config.ws.allowed_origins);
    }
    const bool upload = !read_error && is_upload(parser.get());
    const std::optional<std::string> uploader =
        upload ? token_user(context, parser.get()) : std::nullopt;
    if (upload && !uploader) {
      Response response =
          error_response(parser.get(), bhttp::status::unauthorized, "unauthorized",
                         "a valid Authorization: Bearer access token is required to upload");
      response.set(bhttp::field::www_authenticate, "Bearer");
      response.keep_alive(false);
      co_await bhttp::async_write(stream, response, net::kAwaitResult);
      co_await linger(stream);
      break;
    }
    if (!read_error) {
      const std::uint64_t limit = upload ? max_upload : kMaxBodyBytes;
      parser.body_limit(limit);  // chunked bodies are counted as they come
      if (parser.content_length() && *parser.content_length() > limit)
        read_error = bhttp::error::body_limit;
      if (upload) stream.expires_after(kUploadTimeout);
    }
    // Held until this request is answered: an upload's bytes count against the budget meanwhile.
    std::optional<UploadGate::Ticket> upload_ticket;
    if (upload && !read_error && context.uploads != nullptr) {
      const std::uint64_t bytes = parser.content_length().value_or(max_upload);
      auto admission = context.uploads->admit(*uploader, bytes);
      if (!admission.ticket) {
        const bool mine = admission.refusal == UploadGate::Refusal::kUserBusy;
        Response response = error_response(
            parser.get(),
            mine ? bhttp::status::too_many_requests : bhttp::status::service_unavailable,
            mine ? "rate_limited" : "busy",
            mine ? "you are already sending files; wait until they are done"
                 : "the server is taking in many files right now; try again in a few seconds");
        response.set(bhttp::field::retry_after, "5");
        response.keep_alive(false);
        co_await bhttp::async_write(stream, response, net::kAwaitResult);
        co_await linger(stream);
        break;
      }
      upload_ticket.emplace(std::move(*admission.ticket));
    }
    if (!read_error && !parser.is_done()) {
      std::tie(read_error, n) =
          co_await bhttp::async_read(stream, buffer, parser, net::kAwaitResult);
    }
    if (read_error == bhttp::error::end_of_stream || read_error == asio::error::eof ||
        read_error == beast::error::timeout || read_error == asio::error::connection_reset ||
        read_error == asio::error::operation_aborted) {
      break;
    }
    if (read_error) {
      // Malformed or oversized request: say why, then close (the stream is out of sync).
      const bool too_large =
          read_error == bhttp::error::body_limit || read_error == bhttp::error::header_limit;
      Request blank;
      blank.version(11);
      assign_request_id(blank);
      // A cross-origin page reads the refusal too (a body too large for a sign-in route).
      if (header_read && is_cross_origin_request(parser.get()))
        blank.set(kCorsOriginField, parser.get()[kCorsOriginField]);
      const std::string why =
          upload && read_error == bhttp::error::body_limit
              ? "the file is larger than this server takes (attachments.max-bytes: " +
                    std::to_string(context.services.config.attachments.max_bytes) + " bytes)"
              : read_error.message();
      Response response = error_response(
          blank, too_large ? bhttp::status::payload_too_large : bhttp::status::bad_request,
          too_large ? "too_large" : "bad_request", why);
      response.keep_alive(false);
      co_await bhttp::async_write(stream, response, net::kAwaitResult);
      if (read_error == bhttp::error::body_limit) co_await linger(stream);
      break;
    }
    context.services.metrics.http_request();
    Request request = parser.release();
    const std::string path(target_path(request.target()));

    // Any request asking for a WebSocket is answered as one, so a bad handshake (POST, HTTP/1.0,
    // no Connection: Upgrade) gets a refusal that says why rather than a page-not-found.
    if (bhttp::token_list{request[bhttp::field::upgrade]}.exists("websocket")) {
      std::optional<SockJsWebSocket> endpoint;
      if (path == "/ws")
        endpoint = SockJsWebSocket{net::WsFraming::kRawStomp, net::Application::kStomp};
      if (!endpoint) endpoint = context.sockjs.websocket_framing(path);
      const auto* framing = endpoint ? &endpoint->framing : nullptr;
      std::optional<Response> refusal;
      if (!framing) {
        refusal = error_response(request, bhttp::status::not_found, "not_found",
                                 "no WebSocket endpoint here");
      } else {
        refusal = check_handshake(context, request,
                                  request_info(context, request, remote, tls).remote_address);
      }
      if (refusal) {
        refusal->keep_alive(false);
        co_await bhttp::async_write(stream, *refusal, net::kAwaitResult);
        break;
      }
      net::HandshakeTicket ticket = co_await net::redeem_handshake_ticket(
          context.services, std::string(query_param(request.target(), "ticket")));
      if (!context.services.config.ws.permessage_deflate) {
        // Our own framing (net/ws_transport.hpp): this coroutine, its buffers and the request end
        // here, so an idle WebSocket keeps none of them.
        const std::string subprotocol =
            *framing == net::WsFraming::kRawStomp &&
                    endpoint->application == net::Application::kStomp
                ? net::choose_stomp_subprotocol(request[bhttp::field::sec_websocket_protocol])
                : std::string{};
        const std::string answer =
            net::websocket_upgrade_response(request[bhttp::field::sec_websocket_key], subprotocol);
        auto [write_error, written] =
            co_await asio::async_write(stream.socket(), asio::buffer(answer), net::kAwaitResult);
        if (write_error) break;
        const auto early = buffer.cdata();
        net::serve_websocket(context.services, stream.release_socket(), *framing, remote,
                             std::move(ticket),
                             std::string_view(static_cast<const char*>(early.data()), early.size()),
                             open_count, endpoint->application);
        co_return;
      }
      co_await net::run_websocket(context.services, std::move(stream), std::move(request), *framing,
                                  remote, std::move(ticket), endpoint->application);
      co_return;
    }

    bool keep_alive = request.keep_alive();
    if (context.sockjs.matches(path)) {
      RequestInfo info = request_info(context, request, remote, tls);
      keep_alive =
          co_await context.sockjs.handle(stream, std::move(request), remote, std::move(info));
    } else if (is_preflight(request)) {
      const RequestInfo info = request_info(context, request, remote, tls);
      Response response = answer_preflight(context, request, info);
      auto [write_error, written] =
          co_await bhttp::async_write(stream, response, net::kAwaitResult);
      if (write_error) break;
    } else {
      const RequestInfo info = request_info(context, request, remote, tls);
      auto response = co_await context.router.handle(request, info);
      auto [write_error, written] =
          co_await beast::async_write(stream, std::move(response), net::kAwaitResult);
      if (write_error) break;
    }
    if (!keep_alive) break;
  }
  beast::error_code ignored;
  stream.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
}

}  // namespace aicc::http
