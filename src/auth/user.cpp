#include "auth/user.hpp"

namespace aicc::auth {

std::string_view to_string(Role role) {
  switch (role) {
    case Role::kCustomer:
      return "CUSTOMER";
    case Role::kAgent:
      return "AGENT";
    case Role::kAdmin:
      return "ADMIN";
  }
  return "CUSTOMER";
}

std::optional<Role> parse_role(std::string_view text) {
  if (text == "CUSTOMER") return Role::kCustomer;
  if (text == "AGENT") return Role::kAgent;
  if (text == "ADMIN") return Role::kAdmin;
  return std::nullopt;
}

}  // namespace aicc::auth
