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

#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "http/response.hpp"
#include "http/router.hpp"
#include "net/handshake_guard.hpp"
#include "net/services.hpp"
#include "net/ws_session.hpp"
#include "sockjs/binding.hpp"

namespace aicc::http {

class SockJsSessionState;

class SockJsServer {
 public:
  SockJsServer(net::Services& services, net::HandshakeRateLimiter& limiter,
               std::vector<std::string> prefixes);
  ~SockJsServer();

  // Is `path` under one of the SockJS prefixes?
  bool matches(std::string_view path) const;
  // The framing for a WebSocket upgrade to `path`: raw STOMP for <prefix>/websocket, SockJS framing
  // for <prefix>/<server>/<session>/websocket; nullopt for anything else.
  std::optional<net::WsFraming> websocket_framing(std::string_view path) const;

  // Serves one HTTP request; returns whether the HTTP connection may serve another. `remote` is
  // the TCP peer; `info` the client as far as the server can tell (behind a trusted proxy, the
  // forwarded address), which a session is bound to.
  boost::asio::awaitable<bool> handle(boost::beast::tcp_stream& stream, Request request,
                                      std::string remote, RequestInfo info);

  std::size_t session_count() const;

 private:
  struct Route {
    std::string_view rest;  // the path after the prefix
  };
  std::optional<Route> route(std::string_view path) const;

  boost::asio::awaitable<bool> handle_receiver(boost::beast::tcp_stream& stream,
                                               const Request& request, std::string_view session_id,
                                               std::string_view session_path,
                                               std::string_view transport,
                                               const std::string& remote, const RequestInfo& info);
  boost::asio::awaitable<bool> handle_send(boost::beast::tcp_stream& stream, const Request& request,
                                           std::string_view session_id, bool jsonp,
                                           const RequestInfo& info);

  // Counts and logs a request refused by a session's binding.
  void refused(sockjs::BindingVerdict verdict, const RequestInfo& info);
  std::shared_ptr<SockJsSessionState> find(std::string_view session_id) const;
  void forget(const std::string& session_id);

  net::Services& services_;
  net::HandshakeRateLimiter& limiter_;
  std::vector<std::string> prefixes_;
  mutable std::mutex mutex_;  // guards sessions_
  std::unordered_map<std::string, std::shared_ptr<SockJsSessionState>> sessions_;
};

}  // namespace aicc::http
