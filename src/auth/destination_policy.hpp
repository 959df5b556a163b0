// Sets of roles, as destinations and routes name who may use them (pure).
//
// Which destination allows which roles is registered with the destination itself
// (broker/app_router.hpp), so that a destination and its rule cannot drift apart.
#pragma once

#include "auth/user.hpp"

namespace aicc::auth {

struct Roles {
  bool customer = false;
  bool agent = false;
  bool admin = false;

  constexpr bool allows(Role role) const {
    return (role == Role::kCustomer && customer) || (role == Role::kAgent && agent) ||
           (role == Role::kAdmin && admin);
  }
};

inline constexpr Roles kCustomers{true, false, false};
inline constexpr Roles kAgents{false, true, false};
inline constexpr Roles kStaff{false, true, true};  // agents and supervisors
inline constexpr Roles kAdmins{false, false, true};
inline constexpr Roles kRoomMembers{true, true, false};  // the two sides of a 1:1 room
inline constexpr Roles kEveryone{true, true, true};

}  // namespace aicc::auth
