// Opens the configured storage adapters (store.kind).
#pragma once

#include <memory>

#include "auth/user_store.hpp"
#include "chat/chat_store.hpp"
#include "config/config.hpp"

namespace aicc::app {

// Throws std::runtime_error with an operator-readable message when the store cannot be opened.
std::unique_ptr<auth::UserStore> open_user_store(const config::Config& config);
std::unique_ptr<chat::ChatStore> open_chat_store(const config::Config& config);

}  // namespace aicc::app
