#include "app/demo_users.hpp"

#include <spdlog/spdlog.h>

#include <array>

#include "auth/password.hpp"
#include "util/random.hpp"

namespace aicc::app {

void create_demo_users(auth::UserStore& store, std::int64_t now) {
  struct Demo {
    const char* username;
    const char* display_name;
    auth::Role role;
  };
  static constexpr std::array kDemoUsers{
      Demo{"user1", "user1", auth::Role::kCustomer},
      Demo{"agent1", "agent1", auth::Role::kAgent},
      Demo{"agent2", "agent2", auth::Role::kAgent},
      // For the supervisor page and the admin API.
      Demo{"admin", "admin", auth::Role::kAdmin},
  };
  for (const Demo& demo : kDemoUsers) {
    if (store.find_user_by_username(demo.username)) continue;
    auth::User user;
    user.id = "u_" + util::random_hex(12);
    user.username = demo.username;
    user.display_name = demo.display_name;
    user.role = demo.role;
    user.password_hash = auth::hash_password("1234");
    user.created_at = now;
    store.create_user(user);
    spdlog::warn("DEMO MODE: created demo user {} ({}) with password 1234", demo.username,
                 auth::to_string(demo.role));
  }
}

}  // namespace aicc::app
