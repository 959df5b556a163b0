// A STOMP connection over one WebSocket (RFC 6455, Boost.Beast), after the HTTP upgrade request
// has been read and accepted by the HTTP layer (origin and rate checks). Used when
// ws.permessage-deflate is on; otherwise ws_transport.hpp serves WebSockets with far less memory.
//
// Two framings share this code: raw STOMP (/ws, and SockJS's /websocket shortcut), where every
// WebSocket message carries STOMP bytes, and SockJS-over-WebSocket, where the server sends "o",
// "h", a["..."] and c[...] frames and the client sends JSON arrays of strings.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <string>

#include "net/connection.hpp"
#include "net/metrics.hpp"
#include "net/services.hpp"

namespace aicc::net {

enum class WsFraming { kRawStomp, kSockJs };

boost::asio::awaitable<void> run_websocket(
    Services& services, boost::beast::tcp_stream stream,
    boost::beast::http::request<boost::beast::http::string_body> request, WsFraming framing,
    std::string remote_address, HandshakeTicket handshake_ticket = {},
    Application application = Application::kStomp);

// The subprotocol to answer for a Sec-WebSocket-Protocol offer ("v10.stomp, v12.stomp" gives
// "v12.stomp"); empty when none is one of ours.
std::string choose_stomp_subprotocol(std::string_view offered);

}  // namespace aicc::net
