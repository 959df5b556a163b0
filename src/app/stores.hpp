// Opens the configured storage adapters (store.kind).
#pragma once

#include <memory>
#include <optional>

#include "auth/user_store.hpp"
#include "chat/chat_store.hpp"
#include "config/config.hpp"
#include "store/sqlite/database_lock.hpp"

namespace aicc::store::postgres {
class Pool;
}

namespace aicc::app {

struct Stores {
  // With store.kind sqlite: this process serves the file; a second server, or a restore, is
  // refused while it runs. Declared first, so released after the stores have closed.
  std::optional<store::sqlite::DatabaseLock> sqlite_lock;
  std::unique_ptr<auth::UserStore> users;
  std::unique_ptr<chat::ChatStore> chat;
  // With store.kind postgres: the connections both share (for /metrics); null otherwise.
  std::shared_ptr<store::postgres::Pool> postgres_pool;
};

// Who opens them: the server (which holds the SQLite file's lock and a pool of connections), or
// an operator's command that may run beside it (aicc-chat customer erase: one connection).
enum class StoreUser { kServer, kCommand };

// Both stores. Throws std::runtime_error with an operator-readable message when the store cannot
// be opened (a wrong path or URL, an unreachable server, a schema from a newer program; for the
// server, a SQLite file another server already serves).
Stores open_stores(const config::Config& config, StoreUser user = StoreUser::kServer);

// The user store alone, for the `aicc-chat user` commands (one connection).
std::unique_ptr<auth::UserStore> open_user_store(const config::Config& config);

}  // namespace aicc::app
