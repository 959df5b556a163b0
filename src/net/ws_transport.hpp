// A STOMP connection over one WebSocket, after its HTTP upgrade has been answered with 101.
//
// Built for many idle connections: no coroutine and no buffer per connection while it is idle.
// Reads wait for readiness and then read into one buffer per I/O thread; writes gather the
// queued frames straight from the connection's queue into one non-blocking write, and only what
// the socket did not take is copied and kept. See ws_frame.hpp for why the framing is our own.
// Both framings of ws_session.hpp are served: raw STOMP and SockJS-over-WebSocket.
#pragma once

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <cstddef>
#include <string>
#include <string_view>

#include "net/connection.hpp"
#include "net/services.hpp"
#include "net/ws_session.hpp"

namespace aicc::net {

// Takes over `socket`. `early_bytes`: what the client sent after its upgrade request, already
// read by the HTTP layer. `open_count` (may be null) is incremented here and decremented when the
// WebSocket ends, so it keeps counting towards server.max-connections.
// `application`: what the connection runs (the STOMP server unless a SockJS test service).
void serve_websocket(Services& services, boost::asio::ip::tcp::socket socket, WsFraming framing,
                     std::string remote_address, HandshakeTicket handshake_ticket,
                     std::string_view early_bytes, std::atomic<std::size_t>* open_count = nullptr,
                     Application application = Application::kStomp);

// The 101 answer to a valid upgrade request, or empty when `client_key` is not a valid
// Sec-WebSocket-Key. `subprotocol` may be empty.
std::string websocket_upgrade_response(std::string_view client_key, std::string_view subprotocol);

}  // namespace aicc::net
