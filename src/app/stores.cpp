#include "app/stores.hpp"

#include <stdexcept>

#include "store/sqlite/sqlite_chat_store.hpp"
#include "store/sqlite/sqlite_user_store.hpp"

namespace aicc::app {

std::unique_ptr<auth::UserStore> open_user_store(const config::Config& config) {
  if (config.store.kind == "sqlite") {
    return std::make_unique<store::sqlite::SqliteUserStore>(config.store.sqlite.path);
  }
  throw std::runtime_error("store.kind " + config.store.kind +
                           " is not available in this build yet; use store.kind sqlite");
}

std::unique_ptr<chat::ChatStore> open_chat_store(const config::Config& config) {
  if (config.store.kind == "sqlite") {
    return std::make_unique<store::sqlite::SqliteChatStore>(config.store.sqlite.path);
  }
  throw std::runtime_error("store.kind " + config.store.kind +
                           " is not available in this build yet; use store.kind sqlite");
}

}  // namespace aicc::app
