// HTTPS, WSS and SockJS over TLS on the server's own port (server.tls.*).
//
// OpenSSL (through Asio) decrypts here, and the plaintext goes through an in-process socket pair
// to the same HTTP session that serves plain connections. Why not an SSL stream under each
// session: the WebSocket and STOMP transports are readiness-driven on raw sockets
// (net/ws_transport.hpp: no buffer per idle connection, writes gathered straight from the queue),
// which an SSL stream cannot offer, and a template over the stream would double them. The price
// is two descriptors and the buffers of one TLS connection, which is why a deployment with very
// many connections terminates TLS at its proxy instead (README, "Operating it").
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <memory>

#include "http/http_session.hpp"

namespace boost::asio::ssl {
class context;
}

namespace aicc::http {

// Serves one accepted connection with TLS: a plain HTTP request is answered 400 saying to use
// https://; a handshake has 10 seconds. Returns once both directions are done.
boost::asio::awaitable<void> run_tls_connection(HttpContext& context,
                                                boost::asio::ip::tcp::socket socket,
                                                std::shared_ptr<boost::asio::ssl::context> tls);

}  // namespace aicc::http
