#include "net/handshake_ticket.hpp"

#include <spdlog/spdlog.h>

#include <chrono>

#include "log/rate_limited.hpp"
#include "net/blocking_pool.hpp"
#include "net/services.hpp"

namespace aicc::net {
namespace {

HandshakeTicket redeem_now(auth::TokenService& tokens, const std::string& ticket) {
  const std::int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
  try {
    auto principal = tokens.redeem_ticket(ticket, now);
    if (!principal) return {HandshakeTicket::State::kInvalid, nullptr};
    return {HandshakeTicket::State::kRedeemed,
            std::make_shared<const auth::Principal>(std::move(*principal))};
  } catch (const util::SharedStateUnavailable& e) {
    // One line every 10 s: while Redis is away every ticketed handshake fails the same way.
    static log::RateLimitedLog failures(std::chrono::seconds(10), 1);
    if (const auto left_out = failures.admit("ticket", log::RateLimitedLog::Clock::now())) {
      spdlog::warn("a WebSocket ticket could not be checked: {} (left out since the last line: {})",
                   e.what(), *left_out);
    }
    return {HandshakeTicket::State::kUnavailable, nullptr};
  }
}

}  // namespace

boost::asio::awaitable<HandshakeTicket> redeem_handshake_ticket(Services& services,
                                                                std::string ticket) {
  if (ticket.empty()) co_return HandshakeTicket{};
  // Not a ticket's shape: refused without asking anybody (a flood of junk costs no Redis call).
  if (!auth::TokenService::looks_like_ticket(ticket)) {
    co_return HandshakeTicket{HandshakeTicket::State::kInvalid, nullptr};
  }
  if (services.blocking == nullptr || services.tokens.tickets_are_local()) {
    co_return redeem_now(services.tokens, ticket);
  }
  auto work = [&services, ticket = std::move(ticket)] {
    return redeem_now(services.tokens, ticket);
  };
  co_return co_await services.blocking->run(std::move(work));
}

}  // namespace aicc::net
