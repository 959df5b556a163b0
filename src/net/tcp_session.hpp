// A STOMP connection over plain TCP (stomp.tcp-port), as message brokers speak it on port 61613:
// for back-end clients and like-for-like benchmarks. The same engine, frames, credentials and
// destinations as /ws; no browser is involved, so there is no Origin check and no ?ticket=.
//
// Built like the WebSocket transport (ws_transport.hpp) for many idle connections: no coroutine
// and no buffer per connection while idle. Reads wait for readiness, then read into one buffer
// per I/O thread; writes gather queued frames into one non-blocking write and keep only what the
// socket did not take.
#pragma once

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstddef>
#include <string>

#include "net/services.hpp"

namespace aicc::net {

// Takes over `socket`. `open_count` was incremented for it by the caller and is decremented when
// the connection is gone (server.max-connections).
void serve_tcp_stomp(Services& services, boost::asio::ip::tcp::socket socket,
                     std::string remote_address, std::atomic<std::size_t>& open_count);

// Answers a connection that is not let in (rate or connection limit) with an ERROR frame carrying
// `message`, then closes it.
boost::asio::awaitable<void> refuse_tcp_stomp(boost::asio::ip::tcp::socket socket,
                                              std::string message);

}  // namespace aicc::net
