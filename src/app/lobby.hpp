// The lobby demo: /app/chat.send broadcasts {sender, content, timestamp} on /topic/chat.
#pragma once

#include "broker/app_router.hpp"
#include "broker/publisher.hpp"

namespace aicc::app {

inline constexpr std::size_t kMaxLobbyMessageBytes = 4000;

void add_lobby_handlers(broker::AppRouter& router, broker::Publisher& publisher);

}  // namespace aicc::app
