// Which role may use which STOMP destination (pure). Checked on every SUBSCRIBE and SEND, after
// the destination's shape (broker/destination.hpp) and before any handler runs.
//
// Rules are prefixes with the roles allowed; the longest matching prefix decides, and a
// destination no rule names is open to every authenticated role. Rooms (/topic/room/{id}) are
// further limited to their participants by the room service, which knows them.
#pragma once

#include <string_view>

#include "auth/user.hpp"

namespace aicc::auth {

bool may_subscribe(Role role, std::string_view destination);
bool may_send(Role role, std::string_view destination);

}  // namespace aicc::auth
