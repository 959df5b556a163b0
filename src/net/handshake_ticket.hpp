// The ?ticket= of a WebSocket or SockJS URL, redeemed while the handshake is answered.
//
// Tickets may live in Redis (several nodes: issued on one node, used once on any), so redeeming
// one can wait on the network: it happens on the blocking pool before the connection starts, and
// CONNECT, which must answer at once, only reads the outcome.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <memory>
#include <string>

#include "auth/token_service.hpp"

namespace aicc::net {

struct Services;

struct HandshakeTicket {
  enum class State {
    kNone,         // the URL carried no ticket
    kRedeemed,     // valid: `principal` is whom it was issued to (used up now)
    kInvalid,      // unknown, used, expired or revoked
    kUnavailable,  // the shared state (Redis) could not be reached to check it
  };
  State state = State::kNone;
  std::shared_ptr<const auth::Principal> principal;
};

// Redeems `ticket` (an empty one is kNone) off the I/O thread when Services has a blocking pool.
boost::asio::awaitable<HandshakeTicket> redeem_handshake_ticket(Services& services,
                                                                std::string ticket);

}  // namespace aicc::net
