#include "app/stores.hpp"

#include <chrono>
#include <stdexcept>

#include "store/postgres/pool.hpp"
#include "store/postgres/postgres_chat_store.hpp"
#include "store/postgres/postgres_user_store.hpp"
#include "store/sqlite/sqlite_chat_store.hpp"
#include "store/sqlite/sqlite_user_store.hpp"

namespace aicc::app {
namespace {

std::shared_ptr<store::postgres::Pool> postgres_pool(const config::Config& config,
                                                     std::size_t size) {
  return std::make_shared<store::postgres::Pool>(
      config.store.postgres.url, size, std::chrono::milliseconds(config.store.postgres.wait_ms));
}

}  // namespace

Stores open_stores(const config::Config& config, StoreUser user) {
  Stores stores;
  if (config.store.kind == "sqlite") {
    const std::string& path = config.store.sqlite.path;
    if (user == StoreUser::kServer && !path.empty() && path != ":memory:") {
      long holder = 0;
      stores.sqlite_lock = store::sqlite::DatabaseLock::try_take(path, holder);
      if (!stores.sqlite_lock) {
        throw std::runtime_error(
            "another aicc-chat process" +
            (holder > 0 ? " (" + std::to_string(holder) + ")" : std::string()) + " serves " + path +
            "; one SQLite file has one server (several nodes need store.kind postgres)");
      }
    }
    stores.users = std::make_unique<store::sqlite::SqliteUserStore>(config.store.sqlite.path);
    stores.chat = std::make_unique<store::sqlite::SqliteChatStore>(config.store.sqlite.path,
                                                                   config.attachments.path);
  } else if (config.store.kind == "postgres") {
    stores.postgres_pool = postgres_pool(
        config,
        user == StoreUser::kServer ? static_cast<std::size_t>(config.store.postgres.pool_size) : 1);
    stores.users = std::make_unique<store::postgres::PostgresUserStore>(stores.postgres_pool);
    // The routing authority's lease on a connection of its own: see PostgresChatStore.
    stores.chat = std::make_unique<store::postgres::PostgresChatStore>(stores.postgres_pool,
                                                                       postgres_pool(config, 1));
  } else {
    throw std::runtime_error("store.kind " + config.store.kind + " is not one this build has");
  }
  return stores;
}

std::unique_ptr<auth::UserStore> open_user_store(const config::Config& config) {
  if (config.store.kind == "sqlite") {
    return std::make_unique<store::sqlite::SqliteUserStore>(config.store.sqlite.path);
  }
  if (config.store.kind == "postgres") {
    return std::make_unique<store::postgres::PostgresUserStore>(postgres_pool(config, 1));
  }
  throw std::runtime_error("store.kind " + config.store.kind + " is not one this build has");
}

}  // namespace aicc::app
