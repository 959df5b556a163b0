#include "http/sockjs_server.hpp"

#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/chunk_encode.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/write.hpp>
#include <cerrno>
#include <cstdio>
#include <ctime>

#include "http/router.hpp"
#include "net/await_result.hpp"
#include "net/stomp_connection.hpp"
#include "sockjs/binding.hpp"
#include "sockjs/framing.hpp"
#include "sockjs/session.hpp"
#include "util/random.hpp"
#include "util/url_decode.hpp"

namespace aicc::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
using SteadyClock = std::chrono::steady_clock;

namespace {

constexpr std::string_view kNoCache =
    "no-store, no-cache, no-transform, must-revalidate, max-age=0";
constexpr std::string_view kSockJsClientUrl = "/vendor/sockjs.min.js";
// A client that reads nothing for this long while a response is being written is gone.
constexpr auto kWriteTimeout = std::chrono::seconds(30);

enum class Receiver { kXhr, kXhrStreaming, kEventSource, kHtmlFile, kJsonp };

std::optional<Receiver> receiver_of(std::string_view transport) {
  if (transport == "xhr") return Receiver::kXhr;
  if (transport == "xhr_streaming") return Receiver::kXhrStreaming;
  if (transport == "eventsource") return Receiver::kEventSource;
  if (transport == "htmlfile") return Receiver::kHtmlFile;
  if (transport == "jsonp") return Receiver::kJsonp;
  return std::nullopt;
}

net::Transport metrics_kind(Receiver receiver) {
  switch (receiver) {
    case Receiver::kXhr:
      return net::Transport::kSockJsXhrPolling;
    case Receiver::kXhrStreaming:
      return net::Transport::kSockJsXhrStreaming;
    case Receiver::kEventSource:
      return net::Transport::kSockJsEventSource;
    case Receiver::kHtmlFile:
      return net::Transport::kSockJsHtmlFile;
    case Receiver::kJsonp:
      return net::Transport::kSockJsJsonp;
  }
  return net::Transport::kSockJsXhrPolling;
}

// CORS as SockJS clients need it: credentials allowed, so the origin is echoed rather than "*"
// (also "null", the origin of sandboxed frames and file: pages, which "*" would not admit with
// credentials). A request without an Origin is no CORS request: "*" and no credentials.
template <class Message>
void add_cors(Message& response, const Request& request) {
  const std::string_view origin = request[bhttp::field::origin];
  if (origin.empty()) {
    response.set(bhttp::field::access_control_allow_origin, "*");
  } else {
    response.set(bhttp::field::access_control_allow_origin, origin);
    response.set(bhttp::field::access_control_allow_credentials, "true");
  }
  const std::string_view requested = request[bhttp::field::access_control_request_headers];
  if (!requested.empty()) response.set(bhttp::field::access_control_allow_headers, requested);
}

template <class Message>
void add_session_cookie(Message& response, const Request& request, bool cookie_needed) {
  if (!cookie_needed) return;
  // Sticky load balancers route by JSESSIONID; keep the client's if it sent one.
  std::string_view cookie = request[bhttp::field::cookie];
  std::string value = "dummy";
  if (const std::size_t at = cookie.find("JSESSIONID="); at != std::string_view::npos) {
    const std::string_view rest = cookie.substr(at + 11);
    value = std::string(rest.substr(0, rest.find(';')));
  }
  response.insert(bhttp::field::set_cookie, "JSESSIONID=" + value + "; Path=/");
}

// Answers that never change may be kept a year: Cache-Control, and Expires for HTTP/1.0 caches.
template <class Message>
void set_cached_for_a_year(Message& response) {
  response.set(bhttp::field::cache_control, "public, max-age=31536000");
  const std::time_t expires = std::time(nullptr) + 31536000;
  std::tm tm{};
  gmtime_r(&expires, &tm);
  char text[64];
  std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  response.set(bhttp::field::expires, text);
}

Response sockjs_response(const Request& request, bhttp::status status, std::string body,
                         std::string_view type) {
  Response response = make_response(request, status, std::move(body), type);
  response.set(bhttp::field::cache_control, kNoCache);
  add_cors(response, request);
  return response;
}

// The answer to a request for a session that belongs to another client (sockjs/binding.hpp).
Response binding_refusal(const Request& request, sockjs::BindingVerdict verdict) {
  Response response = error_response(request, bhttp::status::forbidden, "sockjs_session_not_yours",
                                     std::string(sockjs::describe(verdict)));
  response.set(bhttp::field::cache_control, kNoCache);
  add_cors(response, request);
  return response;
}

Response preflight(const Request& request, std::string_view methods) {
  Response response =
      make_response(request, bhttp::status::no_content, "", "text/plain; charset=UTF-8");
  set_cached_for_a_year(response);
  response.set(bhttp::field::access_control_allow_methods, methods);
  response.set(bhttp::field::access_control_max_age, "31536000");
  add_cors(response, request);
  return response;
}

// Whether the client at the other end of the socket `fd` is still there: false once it has closed
// or reset the connection. Reads nothing: a byte the client sent stays for the HTTP parser.
// A receiving request expects no answer from its client, so EOF while it waits means the client
// dropped it (sockjs-client aborting a poll, a closed tab, a proxy giving up).
bool peer_alive(int fd) {
  char byte = 0;
  const ssize_t n = ::recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n > 0) return true;
  if (n == 0) return false;
  return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
}

}  // namespace

// One SockJS session over the HTTP transports: the protocol state (sockjs::Session) and the STOMP
// connection it carries. Lives on `executor`; every member is used only there.
class SockJsSessionState : public net::ConnectionTransport,
                           public std::enable_shared_from_this<SockJsSessionState> {
 public:
  SockJsSessionState(std::string id, asio::any_io_executor executor, sockjs::SessionOptions options)
      : id(std::move(id)),
        executor(std::move(executor)),
        protocol(options, SteadyClock::now()),
        signal(this->executor),
        reaper(this->executor) {}

  // net::ConnectionTransport: output is waiting; the receiver, if any, pulls it (pump()).
  void wake() override { signal.cancel(); }

  // Moves the STOMP connection's output into the SockJS queue. Only a receiver that is ready to
  // write pulls, so a client that stops reading leaves its output in the connection's bounded
  // queue, where it is treated as a slow consumer like on any other transport.
  void pump() {
    if (!connection) return;
    std::vector<stomp::Outbound> items;
    while (connection->has_output()) {
      items.clear();
      connection->take_output(items, 64 * 1024);
      for (auto& item : items) {
        std::string text(item.head());
        if (item.shared()) text.append(*item.shared());
        if (!protocol.send(std::move(text))) {
          // Cannot happen while the STOMP queue limit is below this one; if it does, nothing more
          // can reach the client.
          protocol.close(1002, "Connection interrupted");
          return;
        }
      }
    }
    if (connection->should_close()) protocol.close(3000, "Go away!");
  }
  // What the attached receiver writes now, after pulling the connection's output.
  sockjs::Emit pull(SteadyClock::time_point now) {
    pump();
    return protocol.flush(now);
  }
  void abort() override {
    protocol.close(1002, "Connection interrupted");
    end_connection("close timeout");
    signal.cancel();
  }

  // The attached receiver's client has gone (or the frames of an ended response were lost): the
  // session ends with 1002 "Connection interrupted" and so does its STOMP connection, at once.
  void interrupted(bool receiver_attached, SteadyClock::time_point now) {
    if (receiver_attached) {
      protocol.receiver_gone(now);
      attached = 0;
      attached_fd = -1;
    } else {
      protocol.frames_lost(now);
    }
    end_connection("Connection interrupted");
    signal.cancel();
  }
  // Before a new receiver attaches: is the attached one still there? A client that dropped its
  // request and opened another must learn that the session was interrupted, not that another
  // connection is still open.
  void check_attached(SteadyClock::time_point now) {
    if (protocol.has_receiver() && attached_fd >= 0 && !peer_alive(attached_fd))
      interrupted(true, now);
  }

  void end_connection(std::string_view reason) {
    if (connection) {
      auto kept = connection;  // on_transport_closed may release the last other reference
      kept->on_transport_closed(reason);
    }
  }

  std::string id;
  asio::any_io_executor executor;
  sockjs::Session protocol;
  asio::steady_timer signal;  // the attached receiver waits on it; wake() cancels
  asio::steady_timer reaper;  // expiry of the session
  std::shared_ptr<net::Connection> connection;
  std::optional<sockjs::Binding> binding;  // who may use the session; set when it is created
  bool reaper_started = false;
  std::uint64_t receivers = 0;  // requests that have attached so far, to number them
  std::uint64_t attached = 0;   // number of the attached receiver's request; 0 when none
  int attached_fd = -1;         // its socket, to see whether its client is still there
};

std::vector<SockJsService> sockjs_services(const config::Config& config) {
  const bool cookie_needed = config.sockjs.cookie_needed;
  std::vector<SockJsService> services{
      {"/ws-chat", net::Application::kStomp, true, cookie_needed},
      {"/ws-stomp", net::Application::kStomp, true, cookie_needed},
  };
  if (config.sockjs.test_services) {
    services.push_back({"/echo", net::Application::kEcho, true, cookie_needed});
    services.push_back({"/close", net::Application::kClose, true, cookie_needed});
    services.push_back({"/disabled_websocket_echo", net::Application::kEcho, false, cookie_needed});
    services.push_back({"/cookie_needed_echo", net::Application::kEcho, true, true});
  }
  return services;
}

SockJsServer::SockJsServer(net::Services& services, net::HandshakeRateLimiter& limiter,
                           std::vector<SockJsService> endpoints)
    : services_(services), limiter_(limiter), endpoints_(std::move(endpoints)) {}

SockJsServer::~SockJsServer() = default;

std::optional<SockJsServer::Route> SockJsServer::route(std::string_view path) const {
  for (const SockJsService& service : endpoints_) {
    const std::string& prefix = service.prefix;
    if (path.starts_with(prefix) && (path.size() == prefix.size() || path[prefix.size()] == '/')) {
      return Route{&service, path.substr(prefix.size())};
    }
  }
  return std::nullopt;
}

bool SockJsServer::matches(std::string_view path) const { return route(path).has_value(); }

namespace {

// "/server/session/transport" split in three; empty when the shape is wrong.
struct SessionPath {
  std::string_view server, session, transport;
};
std::optional<SessionPath> split_session_path(std::string_view rest) {
  if (rest.empty() || rest.front() != '/') return std::nullopt;
  rest.remove_prefix(1);
  std::string_view parts[3];
  for (int i = 0; i < 3; ++i) {
    const std::size_t slash = rest.find('/');
    if ((i < 2) == (slash == std::string_view::npos)) return std::nullopt;
    parts[i] = rest.substr(0, slash);
    rest = i < 2 ? rest.substr(slash + 1) : std::string_view{};
  }
  if (!sockjs::is_valid_path_component(parts[0]) || !sockjs::is_valid_path_component(parts[1]))
    return std::nullopt;
  return SessionPath{parts[0], parts[1], parts[2]};
}

}  // namespace

std::optional<SockJsWebSocket> SockJsServer::websocket_framing(std::string_view path) const {
  const auto found = route(path);
  if (!found || !found->service->websocket) return std::nullopt;
  const net::Application application = found->service->application;
  if (found->rest == "/websocket") return SockJsWebSocket{net::WsFraming::kRawStomp, application};
  const auto parts = split_session_path(found->rest);
  if (parts && parts->transport == "websocket")
    return SockJsWebSocket{net::WsFraming::kSockJs, application};
  return std::nullopt;
}

namespace {

// The key of a session in the table: endpoint and session id.
std::string session_key(const SockJsService& service, std::string_view session_id) {
  std::string key = service.prefix;
  key += '/';
  key += session_id;
  return key;
}

}  // namespace

std::shared_ptr<SockJsSessionState> SockJsServer::find(const std::string& key) const {
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(key);
  return it == sessions_.end() ? nullptr : it->second;
}

void SockJsServer::forget(const std::string& session_id) {
  std::lock_guard lock(mutex_);
  sessions_.erase(session_id);
}

std::size_t SockJsServer::session_count() const {
  std::lock_guard lock(mutex_);
  return sessions_.size();
}

asio::awaitable<bool> SockJsServer::handle(beast::tcp_stream& stream, Request request,
                                           std::string remote, RequestInfo info) {
  const std::string path(target_path(request.target()));
  const Route found = *route(path);
  const SockJsService& service = *found.service;
  const std::string_view rest = found.rest;
  const bool cookie_needed = service.cookie_needed;
  auto send = [&](auto response) -> asio::awaitable<bool> {
    const bool keep_alive = response.keep_alive();
    auto [error, n] = co_await bhttp::async_write(stream, response, net::kAwaitResult);
    co_return !error && keep_alive;
  };

  if (rest.empty() || rest == "/") {
    if (request.method() != bhttp::verb::get) {
      co_return co_await send(error_response(request, bhttp::status::method_not_allowed,
                                             "method_not_allowed", "GET only"));
    }
    Response response = make_response(request, bhttp::status::ok, "Welcome to SockJS!\n",
                                      "text/plain; charset=UTF-8");
    set_cached_for_a_year(response);
    co_return co_await send(std::move(response));
  }
  if (rest == "/info") {
    if (request.method() == bhttp::verb::options)
      co_return co_await send(preflight(request, "OPTIONS, GET"));
    if (request.method() != bhttp::verb::get) {
      co_return co_await send(error_response(request, bhttp::status::method_not_allowed,
                                             "method_not_allowed", "GET only"));
    }
    const std::vector<std::string> origins{"*:*"};
    Response response = sockjs_response(
        request, bhttp::status::ok,
        sockjs::info_json(service.websocket, cookie_needed, origins, util::random_u32()),
        "application/json; charset=UTF-8");
    co_return co_await send(std::move(response));
  }
  if (rest == "/iframe.html" || (rest.starts_with("/iframe") && rest.ends_with(".html") &&
                                 rest.find('/', 1) == std::string_view::npos)) {
    const std::string page = sockjs::iframe_page(kSockJsClientUrl);
    const std::string etag = sockjs::etag_for(page);
    if (request[bhttp::field::if_none_match] == etag) {
      bhttp::response<bhttp::empty_body> response{bhttp::status::not_modified, request.version()};
      response.set(bhttp::field::etag, etag);
      response.keep_alive(request.keep_alive());
      co_return co_await send(std::move(response));
    }
    Response response = make_response(request, bhttp::status::ok, page, "text/html; charset=UTF-8");
    set_cached_for_a_year(response);
    response.set(bhttp::field::etag, etag);
    co_return co_await send(std::move(response));
  }
  // A WebSocket URL without an upgrade: only GET is a method it knows.
  auto not_an_upgrade = [&]() -> Response {
    if (request.method() != bhttp::verb::get) return method_not_allowed(request, "GET");
    return error_response(request, bhttp::status::bad_request, "bad_request",
                          "Can \"Upgrade\" only to \"WebSocket\".");
  };
  if (rest == "/websocket") co_return co_await send(not_an_upgrade());

  const auto parts = split_session_path(rest);
  if (!parts)
    co_return co_await send(
        error_response(request, bhttp::status::not_found, "not_found", "no such SockJS path"));
  if (parts->transport == "websocket") co_return co_await send(not_an_upgrade());
  if (!net::origin_allowed(request[bhttp::field::origin], request[bhttp::field::host],
                           services_.config.ws.allowed_origins)) {
    services_.metrics.error("origin_refused");
    co_return co_await send(
        error_response(request, bhttp::status::forbidden, "origin_not_allowed",
                       "this Origin may not open SockJS sessions here (see ws.allowed-origins)"));
  }
  const bool is_send = parts->transport == "xhr_send" || parts->transport == "jsonp_send";
  const auto receiver = receiver_of(parts->transport);
  if (!is_send && !receiver) {
    co_return co_await send(
        error_response(request, bhttp::status::not_found, "not_found", "unknown SockJS transport"));
  }
  if (request.method() == bhttp::verb::options &&
      (parts->transport == "xhr" || parts->transport == "xhr_send" ||
       parts->transport == "xhr_streaming")) {
    co_return co_await send(preflight(request, "OPTIONS, POST"));
  }
  if (is_send) {
    const bool jsonp = parts->transport == "jsonp_send";
    if (request.method() != bhttp::verb::post) {
      co_return co_await send(error_response(request, bhttp::status::method_not_allowed,
                                             "method_not_allowed", "POST only"));
    }
    co_return co_await handle_send(stream, request, service, parts->session, jsonp, info);
  }
  const bool polling_get = *receiver == Receiver::kEventSource ||
                           *receiver == Receiver::kHtmlFile || *receiver == Receiver::kJsonp;
  if (request.method() != (polling_get ? bhttp::verb::get : bhttp::verb::post)) {
    co_return co_await send(error_response(request, bhttp::status::method_not_allowed,
                                           "method_not_allowed",
                                           polling_get ? "GET only" : "POST only"));
  }
  // The session's own path ("/ws-chat/000/abc"), the scope of its binding cookie.
  const std::string_view session_path =
      std::string_view(path).substr(0, path.size() - parts->transport.size() - 1);
  co_return co_await handle_receiver(stream, request, service, parts->session, session_path,
                                     parts->transport, remote, info);
}

asio::awaitable<bool> SockJsServer::handle_send(beast::tcp_stream& stream, const Request& request,
                                                const SockJsService& service,
                                                std::string_view session_id, bool jsonp,
                                                const RequestInfo& info) {
  auto write = [&](Response response) -> asio::awaitable<bool> {
    const bool keep_alive = response.keep_alive();
    auto [error, n] = co_await bhttp::async_write(stream, response, net::kAwaitResult);
    co_return !error && keep_alive;
  };
  auto session = find(session_key(service, session_id));
  if (!session)
    co_return co_await write(
        sockjs_response(request, bhttp::status::not_found, "", "text/plain; charset=UTF-8"));

  std::string body = request.body();
  if (jsonp &&
      request[bhttp::field::content_type].starts_with("application/x-www-form-urlencoded")) {
    body = sockjs::parse_form_payload(body);
  }
  const std::size_t limit = services_.config.stomp.max_frame_bytes * 4 + 4096;
  auto messages = sockjs::parse_client_messages(body, limit);
  if (!messages) {
    co_return co_await write(sockjs_response(request, bhttp::status::internal_server_error,
                                             std::string(sockjs::describe(messages.error())),
                                             "text/plain; charset=UTF-8"));
  }
  // Hand the messages to the STOMP connection on the session's own thread, in order. The task is
  // a named variable, not a temporary of the co_await expression: GCC 12 destroys a lambda
  // temporary with captures there twice (once as an object it never built), which corrupts the
  // heap.
  // The binding is checked there too: it is session state.
  auto deliver = [session, messages = std::move(*messages), address = info.remote_address,
                  cookie = std::string(
                      request[bhttp::field::cookie])]() -> asio::awaitable<sockjs::BindingVerdict> {
    const auto verdict = session->binding->check(address, cookie, SteadyClock::now());
    if (verdict != sockjs::BindingVerdict::kAllowed) co_return verdict;
    if (session->connection) {
      for (const std::string& message : messages) session->connection->on_data(message);
    }
    co_return verdict;
  };
  const auto verdict =
      co_await asio::co_spawn(session->executor, std::move(deliver), asio::use_awaitable);
  if (verdict != sockjs::BindingVerdict::kAllowed) {
    refused(verdict, info);
    co_return co_await write(binding_refusal(request, verdict));
  }
  Response response =
      jsonp ? sockjs_response(request, bhttp::status::ok, "ok", "text/plain; charset=UTF-8")
            : sockjs_response(request, bhttp::status::no_content, "", "text/plain; charset=UTF-8");
  add_session_cookie(response, request, service.cookie_needed);
  co_return co_await write(std::move(response));
}

void SockJsServer::refused(sockjs::BindingVerdict verdict, const RequestInfo& info) {
  services_.metrics.error("sockjs_session_not_yours");
  // At most one line a second, so that somebody trying session ids cannot flood the log.
  const std::int64_t now_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now().time_since_epoch())
          .count();
  std::int64_t last = last_refusal_log_ms_.load(std::memory_order_relaxed);
  if (now_ms - last < 1000 || !last_refusal_log_ms_.compare_exchange_strong(last, now_ms)) {
    refusals_not_logged_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  spdlog::warn("SockJS request refused remote={} reason=\"{}\" refused_since_last_line={}",
               info.remote_address, sockjs::describe(verdict),
               refusals_not_logged_.exchange(0, std::memory_order_relaxed) + 1);
}

asio::awaitable<bool> SockJsServer::handle_receiver(
    beast::tcp_stream& stream, const Request& request, const SockJsService& service,
    std::string_view session_id, std::string_view session_path, std::string_view transport,
    const std::string& remote, const RequestInfo& info) {
  const Receiver receiver = *receiver_of(transport);
  const std::string callback = util::url_decode(query_param(request.target(), "c"));
  // sockjs-client repeats the base URL's query on every request, so a ?ticket= reaches here too.
  const std::string ticket(query_param(request.target(), "ticket"));
  const bool needs_callback = receiver == Receiver::kHtmlFile || receiver == Receiver::kJsonp;
  if (needs_callback && (callback.empty() || !sockjs::is_valid_callback(callback))) {
    Response response = sockjs_response(
        request, bhttp::status::internal_server_error,
        callback.empty() ? "\"callback\" parameter required" : "invalid \"callback\" parameter",
        "text/plain; charset=UTF-8");
    auto [error, n] = co_await bhttp::async_write(stream, response, net::kAwaitResult);
    co_return !error && request.keep_alive();
  }

  std::shared_ptr<SockJsSessionState> session;
  bool created = false;
  net::HandshakeTicket redeemed;  // by the request that opens the session
  {
    std::lock_guard lock(mutex_);
    auto it = sessions_.find(session_key(service, session_id));
    if (it != sessions_.end()) {
      session = it->second;
    }
  }
  if (!session) {
    if (!limiter_.allow(remote, SteadyClock::now())) {
      services_.metrics.error("handshake_rate_limited");
      Response response = error_response(request, bhttp::status::too_many_requests, "rate_limited",
                                         "too many new sessions from this address; retry shortly");
      response.keep_alive(false);
      co_await bhttp::async_write(stream, response, net::kAwaitResult);
      co_return false;
    }
    // Before the session exists (this may wait on Redis): no other request sees it half made.
    redeemed = co_await net::redeem_handshake_ticket(services_, ticket);
    const auto& c = services_.config.sockjs;
    sockjs::SessionOptions options;
    options.heartbeat = std::chrono::milliseconds(c.heartbeat_ms);
    options.disconnect_delay = std::chrono::milliseconds(c.disconnect_delay_ms);
    options.streaming_bytes = c.streaming_bytes;
    // Above the STOMP connection's own limit, which is the one that should act.
    options.max_pending_bytes = services_.config.stomp.outbound_queue_bytes * 2 + 64 * 1024;
    auto executor = co_await asio::this_coro::executor;
    auto fresh =
        std::make_shared<SockJsSessionState>(session_key(service, session_id), executor, options);
    fresh->binding.emplace(info.remote_address, util::random_hex(16));
    std::lock_guard lock(mutex_);
    auto [it, inserted] = sessions_.try_emplace(fresh->id, fresh);
    session = it->second;
    created = inserted;
  }

  const bool cookie_needed = service.cookie_needed;
  const net::Application application = service.application;
  const bool keep_alive_after = request.keep_alive();
  SockJsServer* self = this;
  // The opening answer hands the client the session's binding secret.
  std::optional<std::string> binding_cookie;
  if (created) {
    binding_cookie = sockjs::binding_set_cookie(session_path, session->binding->secret(),
                                                info.secure || services_.config.auth.cookie_secure);
  }
  auto add_cookies = [&](auto& response) {
    if (binding_cookie) response.insert(bhttp::field::set_cookie, *binding_cookie);
    add_session_cookie(response, request, cookie_needed);
  };
  // The whole exchange runs on the session's thread (see the header). It is named for the GCC 12
  // reason given in handle_send().
  auto exchange = [self, session, created, receiver, callback, redeemed, &stream, &request, remote,
                   &info, &add_cookies, application, keep_alive_after]() -> asio::awaitable<bool> {
    auto& state = *session;
    if (!created) {
      const auto verdict = state.binding->check(info.remote_address, request[bhttp::field::cookie],
                                                SteadyClock::now());
      if (verdict != sockjs::BindingVerdict::kAllowed) {
        // Refused before it touches the session: the owner's receiver and queue stay as they are.
        self->refused(verdict, info);
        Response refusal = binding_refusal(request, verdict);
        auto [error, n] = co_await bhttp::async_write(stream, refusal, net::kAwaitResult);
        co_return !error && keep_alive_after;
      }
    }
    if (created) {
      state.connection = net::make_connection(application, self->services_, state.executor,
                                              metrics_kind(receiver), remote, redeemed);
      state.connection->start(state);
      state.reaper_started = true;
      // Expiry: once nobody has polled for the disconnect delay, the client is gone.
      asio::co_spawn(
          state.executor,
          [self, session]() -> asio::awaitable<void> {
            auto& s = *session;
            while (true) {
              const auto now = SteadyClock::now();
              if (s.protocol.expired(now)) break;
              s.reaper.expires_at(
                  std::max(s.protocol.next_deadline(), now + std::chrono::milliseconds(50)));
              co_await s.reaper.async_wait(net::kAwaitResult);
            }
            const auto& status = s.protocol.close_status();
            s.end_connection(status ? status->reason : std::string("SockJS session timed out"));
            self->forget(s.id);
          },
          asio::detached);
    }

    const bool streaming = receiver == Receiver::kXhrStreaming ||
                           receiver == Receiver::kEventSource || receiver == Receiver::kHtmlFile;
    state.check_attached(SteadyClock::now());
    state.pump();
    auto emit = state.protocol.attach(
        streaming ? sockjs::ReceiverKind::kStreaming : sockjs::ReceiverKind::kPolling,
        SteadyClock::now());
    // While attached, this request is the session's receiver; frames are pulled for it only
    // after checking that its client is still there, since pulled frames count as delivered.
    const std::uint64_t me = ++state.receivers;
    const int fd = stream.socket().native_handle();
    if (!emit.end) {
      state.attached = me;
      state.attached_fd = fd;
    }
    auto still_attached = [&] { return state.attached == me && state.protocol.has_receiver(); };
    auto let_go = [&] {
      if (state.attached == me) {
        state.attached = 0;
        state.attached_fd = -1;
      }
    };
    // Called on every wake-up before frames are pulled. False: stop without writing anything.
    auto client_still_there = [&] {
      if (!still_attached()) return false;
      if (peer_alive(fd)) return true;
      state.interrupted(true, SteadyClock::now());
      return false;
    };
    auto wrap = [&](const std::string& frame) {
      switch (receiver) {
        case Receiver::kXhr:
        case Receiver::kXhrStreaming:
          return sockjs::wrap_xhr(frame);
        case Receiver::kEventSource:
          return sockjs::wrap_eventsource(frame);
        case Receiver::kHtmlFile:
          return sockjs::wrap_htmlfile(frame);
        case Receiver::kJsonp:
          return sockjs::wrap_jsonp(callback, frame);
      }
      return sockjs::wrap_xhr(frame);
    };
    std::string_view content_type = "application/javascript; charset=UTF-8";
    // No charset: EventSource is always UTF-8, and the protocol suite expects the bare type.
    if (receiver == Receiver::kEventSource) content_type = "text/event-stream";
    if (receiver == Receiver::kHtmlFile) content_type = "text/html; charset=UTF-8";

    if (!streaming) {
      // Polling: one complete response with the first frame that comes.
      while (emit.frames.empty() && !emit.end) {
        emit = state.pull(SteadyClock::now());
        if (!emit.frames.empty() || emit.end) break;
        state.signal.expires_at(state.protocol.next_deadline());
        auto [wait_error] = co_await state.signal.async_wait(net::kAwaitResult);
        if (!client_still_there()) {
          let_go();
          co_return false;
        }
        emit = wait_error ? state.pull(SteadyClock::now())
                          : state.protocol.on_timer(SteadyClock::now());
      }
      let_go();
      std::string body;
      for (const auto& frame : emit.frames) body += wrap(frame);
      Response response =
          sockjs_response(request, bhttp::status::ok, std::move(body), content_type);
      add_cookies(response);
      stream.expires_after(kWriteTimeout);
      auto [error, n] = co_await bhttp::async_write(stream, response, net::kAwaitResult);
      // The response has ended, so its frames were taken as delivered: losing them ends the
      // session, or the client would carry on without the messages they held.
      if (error && !emit.rejected) state.interrupted(false, SteadyClock::now());
      state.protocol.detach(SteadyClock::now());
      if (state.protocol.close_status() && emit.end) {
        // The close frame reached the client (or it never will): the STOMP connection is over.
        if (state.connection && state.connection->should_close())
          state.end_connection("closed by the server");
      }
      co_return !error && keep_alive_after;
    }

    // Streaming: prelude, then frames as they come. HTTP/1.1 chunks them; HTTP/1.0 knows no
    // chunks, so its response runs until the server closes the connection.
    const bool chunked = request.version() >= 11;
    bhttp::response<bhttp::empty_body> head{bhttp::status::ok, request.version()};
    head.set(bhttp::field::server, "aicc-chat");
    head.set(bhttp::field::content_type, content_type);
    head.set(bhttp::field::cache_control, kNoCache);
    add_cors(head, request);
    add_cookies(head);
    head.chunked(chunked);
    head.keep_alive(chunked && keep_alive_after);
    bhttp::response_serializer<bhttp::empty_body> serializer{head};
    stream.expires_after(kWriteTimeout);
    auto [head_error, head_n] =
        co_await bhttp::async_write_header(stream, serializer, net::kAwaitResult);
    std::string prelude;
    if (receiver == Receiver::kXhrStreaming) prelude = sockjs::xhr_streaming_prelude();
    if (receiver == Receiver::kEventSource) prelude = sockjs::eventsource_prelude();
    if (receiver == Receiver::kHtmlFile) prelude = sockjs::htmlfile_prelude(callback);
    beast::error_code error = head_error;
    // Each frame is a chunk of its own, as sockjs-node sends them (the protocol suite reads
    // chunk by chunk), though a burst of frames still goes out in one write.
    auto append_body = [chunked](std::string& out, std::string_view piece) {
      if (chunked) {
        char size[20];
        out.append(size, std::snprintf(size, sizeof size, "%zx\r\n", piece.size()));
        out.append(piece);
        out.append("\r\n");
      } else {
        out.append(piece);
      }
    };
    std::string body;
    append_body(body, prelude);
    if (!error)
      std::tie(error, std::ignore) =
          co_await asio::async_write(stream, asio::buffer(body), net::kAwaitResult);
    while (!error) {
      if (!emit.frames.empty()) {
        body.clear();
        for (const auto& frame : emit.frames) append_body(body, wrap(frame));
        stream.expires_after(kWriteTimeout);
        std::tie(error, std::ignore) =
            co_await asio::async_write(stream, asio::buffer(body), net::kAwaitResult);
        if (error) break;
      }
      if (emit.end) break;
      // Output queued while a chunk was being written: wake() found no wait to cancel then.
      emit = state.pull(SteadyClock::now());
      if (!emit.frames.empty() || emit.end) continue;
      // A client that stops reading is cut by the write timeout, not while idle here.
      stream.expires_never();
      state.signal.expires_at(state.protocol.next_deadline());
      auto [wait_error] = co_await state.signal.async_wait(net::kAwaitResult);
      if (!client_still_there()) {
        let_go();
        state.reaper.cancel();
        co_return false;
      }
      emit =
          wait_error ? state.pull(SteadyClock::now()) : state.protocol.on_timer(SteadyClock::now());
    }
    if (error) {
      // Frames written to a dead response were lost, whether or not the response had ended.
      if (!emit.rejected) state.interrupted(still_attached(), SteadyClock::now());
      let_go();
      state.protocol.detach(SteadyClock::now());
      state.reaper.cancel();
      co_return false;
    }
    let_go();
    stream.expires_after(kWriteTimeout);
    if (chunked) {
      std::tie(error, std::ignore) =
          co_await asio::async_write(stream, bhttp::make_chunk_last(), net::kAwaitResult);
    }
    state.protocol.detach(SteadyClock::now());
    if (state.protocol.close_status() && state.connection && state.connection->should_close()) {
      state.end_connection("closed by the server");
    }
    state.reaper.cancel();
    co_return !error && chunked && keep_alive_after;
  };
  co_return co_await asio::co_spawn(session->executor, std::move(exchange), asio::use_awaitable);
}

}  // namespace aicc::http
