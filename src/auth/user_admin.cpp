#include "auth/user_admin.hpp"

#include <chrono>

#include "auth/password.hpp"
#include "auth/user_rules.hpp"
#include "util/random.hpp"
#include "util/time.hpp"

namespace aicc::auth {
namespace {

util::Unexpected<AdminRefusal> refused(unsigned status, std::string code, std::string message) {
  return util::unexpected(AdminRefusal{status, std::move(code), std::move(message)});
}

std::string limit_problem(int max_rooms) {
  if (max_rooms == 0 || (max_rooms >= kMinRoomLimit && max_rooms <= kMaxRoomLimit)) return {};
  return "maxRooms must be " + std::to_string(kMinRoomLimit) + " to " +
         std::to_string(kMaxRoomLimit) + ", or 0 for the configured default";
}

}  // namespace

UserAdmin::UserAdmin(UserStore& store, std::int64_t deny_for, bool staff_only,
                     std::function<void()> revoked)
    : store_(store), deny_for_(deny_for), staff_only_(staff_only), revoked_(std::move(revoked)) {}

std::optional<User> UserAdmin::find(const std::string& id) {
  auto user = store_.find_user(id);
  if (!user || user->guest || (staff_only_ && user->role == Role::kCustomer)) return std::nullopt;
  return user;
}

AdminResult<User> UserAdmin::target(const std::string& id) {
  auto user = find(id);
  if (!user) return refused(404, "not_found", "no such user");
  return *user;
}

void UserAdmin::audit(const Actor& actor, const User& user, std::string action,
                      std::string detail) {
  UserAuditEntry entry;
  entry.at = std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
  entry.actor_id = actor.id;
  entry.actor_name = actor.name;
  entry.action = std::move(action);
  entry.target_id = user.id;
  entry.target_username = user.username;
  entry.detail = std::move(detail);
  entry.request_id = actor.request_id;
  store_.append_user_audit(entry);
}

std::size_t UserAdmin::revoke_logins(const User& user, const std::string& reason) {
  const std::size_t logins =
      store_.deny_families_of_user(user.id, util::unix_seconds() + deny_for_, reason);
  if (revoked_) revoked_();
  return logins;
}

AdminResult<AccountChange> UserAdmin::create(const Actor& actor, NewAccount account) {
  if (!valid_username(account.username))
    return refused(400, "bad_request", "a username has 1 to 64 letters, digits and . _ - @");
  if (staff_only_ && account.role == Role::kCustomer)
    return refused(400, "bad_request", "role must be AGENT or ADMIN");
  if (account.display_name.empty()) account.display_name = account.username;
  if (!valid_account_display_name(account.display_name))
    return refused(400, "bad_request",
                   "displayName: 1 to 64 bytes of UTF-8, no control characters");
  if (const std::string problem = limit_problem(account.max_rooms); !problem.empty())
    return refused(400, "bad_request", problem);
  if (account.max_rooms != 0 && account.role != Role::kAgent)
    return refused(400, "bad_request", "maxRooms applies to agents only");
  AccountChange change;
  if (account.password.empty()) {
    change.generated_password = generate_password();
    account.password = change.generated_password;
  } else if (std::string problem = password_problem(account.password); !problem.empty()) {
    return refused(400, "bad_request", std::move(problem));
  }
  if (store_.find_user_by_username(account.username))
    return refused(409, "username_taken", "user " + account.username + " already exists");
  User& user = change.user;
  user.id = "u_" + util::random_hex(12);
  user.username = account.username;
  user.display_name = account.display_name;
  user.role = account.role;
  user.password_hash = hash_password(account.password);
  user.created_at = util::unix_seconds();
  user.max_rooms = account.max_rooms;
  // The unique username decides between two admins creating the same one at once.
  if (!store_.create_user(user))
    return refused(409, "username_taken", "user " + account.username + " already exists");
  if (user.max_rooms != 0) store_.set_max_rooms(user.id, user.max_rooms);
  std::string detail = "role=" + std::string(to_string(user.role));
  if (user.max_rooms != 0) detail += " maxRooms=" + std::to_string(user.max_rooms);
  audit(actor, user, "create", std::move(detail));
  return change;
}

AdminResult<AccountChange> UserAdmin::set_disabled(const Actor& actor, const std::string& id,
                                                   bool disabled) {
  auto user = target(id);
  if (!user) return util::unexpected(user.error());
  if (disabled && user->id == actor.id)
    return refused(409, "cannot_disable_self", "you cannot disable your own account");
  AccountChange change{*user, {}, user->disabled != disabled};
  if (!disabled) {
    if (change.changed) {
      store_.set_disabled(user->id, false);
      audit(actor, *user, "enable", {});
    }
    change.user.disabled = false;
    return change;
  }
  switch (store_.disable_user(user->id)) {
    case DisableOutcome::kNotFound:
      return refused(404, "not_found", "no such user");
    case DisableOutcome::kLastAdmin:
      return refused(409, "last_admin",
                     "this is the last enabled admin: enable or create another admin first");
    case DisableOutcome::kDisabled:
      break;
  }
  change.user.disabled = true;
  // Revoked even when already disabled: a login that slipped through is ended all the same.
  const std::size_t logins = revoke_logins(*user, "account disabled");
  if (change.changed) audit(actor, *user, "disable", "logins=" + std::to_string(logins));
  return change;
}

AdminResult<AccountChange> UserAdmin::reset_password(const Actor& actor, const std::string& id,
                                                     const std::string& password) {
  AccountChange change;
  std::string chosen = password;
  if (chosen.empty()) {
    change.generated_password = generate_password();
    chosen = change.generated_password;
  } else if (std::string problem = password_problem(chosen); !problem.empty()) {
    return refused(400, "bad_request", std::move(problem));
  }
  auto user = target(id);
  if (!user) return util::unexpected(user.error());
  if (!store_.set_password_hash(user->id, hash_password(chosen)))
    return refused(404, "not_found", "no such user");
  change.user = *user;
  change.user.password_hash.clear();
  const std::size_t logins = revoke_logins(*user, "password changed");
  audit(actor, *user, "reset_password",
        std::string(change.generated_password.empty() ? "chosen" : "generated") +
            " logins=" + std::to_string(logins));
  return change;
}

AdminResult<AccountChange> UserAdmin::set_max_rooms(const Actor& actor, const std::string& id,
                                                    int max_rooms) {
  if (const std::string problem = limit_problem(max_rooms); !problem.empty())
    return refused(400, "bad_request", problem);
  auto user = target(id);
  if (!user) return util::unexpected(user.error());
  if (user->role != Role::kAgent)
    return refused(400, "bad_request", "maxRooms applies to agents only");
  AccountChange change{*user, {}, user->max_rooms != max_rooms};
  if (change.changed) {
    if (!store_.set_max_rooms(user->id, max_rooms))
      return refused(404, "not_found", "no such user");
    audit(actor, *user, "max_rooms",
          "maxRooms=" + std::to_string(max_rooms) + " was=" + std::to_string(user->max_rooms));
    change.user.max_rooms = max_rooms;
  }
  return change;
}

AdminResult<AccountChange> UserAdmin::rename(const Actor& actor, const std::string& id,
                                             const std::string& display_name) {
  if (!valid_account_display_name(display_name))
    return refused(400, "bad_request",
                   "displayName: 1 to 64 bytes of UTF-8, no control characters");
  auto user = target(id);
  if (!user) return util::unexpected(user.error());
  AccountChange change{*user, {}, user->display_name != display_name};
  if (change.changed) {
    if (!store_.set_display_name(user->id, display_name))
      return refused(404, "not_found", "no such user");
    audit(actor, *user, "rename", {});
    change.user.display_name = display_name;
  }
  return change;
}

}  // namespace aicc::auth
