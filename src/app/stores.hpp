// Opens the configured storage adapters (store.kind).
#pragma once

#include <memory>

#include "auth/user_store.hpp"
#include "chat/chat_store.hpp"
#include "config/config.hpp"

namespace aicc::store::postgres {
class Pool;
}

namespace aicc::app {

struct Stores {
  std::unique_ptr<auth::UserStore> users;
  std::unique_ptr<chat::ChatStore> chat;
  // With store.kind postgres: the connections both share (for /metrics); null otherwise.
  std::shared_ptr<store::postgres::Pool> postgres_pool;
};

// Both stores of the server. Throws std::runtime_error with an operator-readable message when the
// store cannot be opened (a wrong path or URL, an unreachable server, a schema from a newer
// program).
Stores open_stores(const config::Config& config);

// The user store alone, for the `aicc-chat user` commands (one connection).
std::unique_ptr<auth::UserStore> open_user_store(const config::Config& config);

}  // namespace aicc::app
