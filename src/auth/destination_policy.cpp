#include "auth/destination_policy.hpp"

#include <array>
#include <initializer_list>

namespace aicc::auth {
namespace {

struct RoleSet {
  bool customer = false;
  bool agent = false;
  bool admin = false;
  bool allows(Role role) const {
    return (role == Role::kCustomer && customer) || (role == Role::kAgent && agent) ||
           (role == Role::kAdmin && admin);
  }
};

constexpr RoleSet kCustomers{true, false, false};
constexpr RoleSet kAgents{false, true, false};
constexpr RoleSet kStaff{false, true, true};  // agents and supervisors
constexpr RoleSet kAdmins{false, false, true};

struct Rule {
  std::string_view prefix;  // a whole destination, or a prefix ending in '/' or '.'
  RoleSet roles;
};

constexpr std::array kSubscribeRules{
    Rule{"/topic/consult/", kStaff},          Rule{"/topic/admin/", kAdmins},
    Rule{"/user/queue/agent/", kAgents},      Rule{"/user/queue/bot/", kCustomers},
    Rule{"/user/queue/consult/", kCustomers},
};

constexpr std::array kSendRules{
    Rule{"/app/agent.", kAgents},         Rule{"/app/room.transfer", kAgents},
    Rule{"/app/bot.message", kCustomers}, Rule{"/app/consult.", kCustomers},
    Rule{"/app/admin.", kAdmins},
};

bool matches(std::string_view prefix, std::string_view destination) {
  if (prefix.back() == '/' || prefix.back() == '.') return destination.starts_with(prefix);
  return destination == prefix;
}

template <std::size_t N>
bool allowed(const std::array<Rule, N>& rules, Role role, std::string_view destination) {
  const Rule* best = nullptr;
  for (const Rule& rule : rules) {
    if (matches(rule.prefix, destination) &&
        (best == nullptr || rule.prefix.size() > best->prefix.size())) {
      best = &rule;
    }
  }
  return best == nullptr || best->roles.allows(role);
}

}  // namespace

bool may_subscribe(Role role, std::string_view destination) {
  return allowed(kSubscribeRules, role, destination);
}
bool may_send(Role role, std::string_view destination) {
  return allowed(kSendRules, role, destination);
}

}  // namespace aicc::auth
