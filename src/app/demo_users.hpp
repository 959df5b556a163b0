// Demo mode's users: user1 (customer), agent1 and agent2 (agents) and admin (ADMIN), all with
// password 1234.
#pragma once

#include <cstdint>

#include "auth/user_store.hpp"

namespace aicc::app {

// Creates the demo users that do not exist yet, with a warning for each.
void create_demo_users(auth::UserStore& store, std::int64_t now);

}  // namespace aicc::app
