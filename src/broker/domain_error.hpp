// Domain refusals: a request that was well formed but cannot be done (rate limited, already taken,
// invalid token in a body). They do not close the connection; the sender's own
// /user/queue/errors gets {code, message, receiptId?} and any receipt is still honoured.
#pragma once

#include <cstdint>
#include <string_view>

#include "broker/publisher.hpp"
#include "stomp/frame.hpp"

namespace aicc::broker {

// `retry_after_ms` (when not negative) tells the client when to try again (retryAfterMs).
void send_domain_error(Publisher& publisher, std::string_view user_id, std::string_view code,
                       std::string_view message, const stomp::Frame& cause,
                       std::int64_t retry_after_ms = -1);

}  // namespace aicc::broker
