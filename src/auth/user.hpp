// Users and their roles.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace aicc::auth {

enum class Role { kCustomer, kAgent, kAdmin };

std::string_view to_string(Role role);  // "CUSTOMER", "AGENT", "ADMIN"
std::optional<Role> parse_role(std::string_view text);

struct User {
  std::string id;            // server-made, opaque ("u_" + random); never from a client
  std::string username;      // login name; empty for guests
  std::string display_name;  // shown to the other side of a chat
  Role role = Role::kCustomer;
  std::string password_hash;    // argon2id string (libsodium); empty for guests
  bool guest = false;           // anonymous customer known by a refresh cookie
  bool disabled = false;        // refused at login, refresh and CONNECT
  std::int64_t created_at = 0;  // unix seconds
  int max_rooms = 0;  // agents: rooms routing gives them at most; 0: routing.max-rooms-per-agent
};

}  // namespace aicc::auth
