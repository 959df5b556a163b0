// The SockJS endpoints (/ws-chat, /ws-stomp): /info, the iframe page, the WebSocket shortcuts and
// the HTTP transports (xhr-streaming, xhr-polling, eventsource, htmlfile, jsonp, xhr_send,
// jsonp_send), each carrying one STOMP connection per SockJS session.
//
// A SockJS session lives on one I/O thread, the one of the request that created it, with its STOMP
// connection.
// Its HTTP requests may arrive on any thread; each one hops to the session's thread for as long as
// it works with the session (co_spawn on the session's executor), so the session state is only
// ever touched by one thread and needs no lock. Only the session table is shared, behind a mutex.
#pragma once

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "config/config.hpp"
#include "http/response.hpp"
#include "http/router.hpp"
#include "net/connection.hpp"
#include "net/handshake_guard.hpp"
#include "net/services.hpp"
#include "net/ws_session.hpp"
#include "sockjs/binding.hpp"

namespace aicc::http {

class SockJsSessionState;

// One SockJS endpoint: its URL prefix and what runs behind it.
struct SockJsService {
  std::string prefix;  // "/ws-chat": the SockJS base URL's path, without a trailing slash
  net::Application application = net::Application::kStomp;
  bool websocket = true;       // offers the websocket transport (and says so in /info)
  bool cookie_needed = false;  // cookie_needed in /info, and the JSESSIONID cookie on answers
};

// The endpoints the configuration asks for: /ws-chat and /ws-stomp, and with
// sockjs.test-services the protocol suite's /echo, /close, /disabled_websocket_echo and
// /cookie_needed_echo.
std::vector<SockJsService> sockjs_services(const config::Config& config);

// Where a WebSocket upgrade under a SockJS prefix goes.
struct SockJsWebSocket {
  net::WsFraming framing;
  net::Application application;
};

class SockJsServer {
 public:
  SockJsServer(net::Services& services, net::HandshakeRateLimiter& limiter,
               std::vector<SockJsService> endpoints);
  ~SockJsServer();

  // Is `path` under one of the SockJS prefixes?
  bool matches(std::string_view path) const;
  // The framing for a WebSocket upgrade to `path`: raw for <prefix>/websocket, SockJS framing for
  // <prefix>/<server>/<session>/websocket, with the endpoint's application; nullopt for anything
  // else, and for an endpoint without the websocket transport.
  std::optional<SockJsWebSocket> websocket_framing(std::string_view path) const;

  // Serves one HTTP request; returns whether the HTTP connection may serve another. `remote` is
  // the TCP peer; `info` the client as far as the server can tell (behind a trusted proxy, the
  // forwarded address), which a session is bound to.
  boost::asio::awaitable<bool> handle(boost::beast::tcp_stream& stream, Request request,
                                      std::string remote, RequestInfo info);

  std::size_t session_count() const;

 private:
  struct Route {
    const SockJsService* service;
    std::string_view rest;  // the path after the prefix
  };
  std::optional<Route> route(std::string_view path) const;

  boost::asio::awaitable<bool> handle_receiver(boost::beast::tcp_stream& stream,
                                               const Request& request, const SockJsService& service,
                                               std::string_view session_id,
                                               std::string_view session_path,
                                               std::string_view transport,
                                               const std::string& remote, const RequestInfo& info);
  boost::asio::awaitable<bool> handle_send(boost::beast::tcp_stream& stream, const Request& request,
                                           const SockJsService& service,
                                           std::string_view session_id, bool jsonp,
                                           const RequestInfo& info);

  // Counts and logs a request refused by a session's binding.
  void refused(sockjs::BindingVerdict verdict, const RequestInfo& info);
  std::shared_ptr<SockJsSessionState> find(const std::string& key) const;
  void forget(const std::string& session_id);

  net::Services& services_;
  net::HandshakeRateLimiter& limiter_;
  std::vector<SockJsService> endpoints_;
  std::atomic<std::int64_t> last_refusal_log_ms_{-1000000};  // see refused()
  std::atomic<std::uint64_t> refusals_not_logged_{0};
  mutable std::mutex mutex_;  // guards sessions_
  // By session_key(): each endpoint has sessions of its own.
  std::unordered_map<std::string, std::shared_ptr<SockJsSessionState>> sessions_;
};

}  // namespace aicc::http
