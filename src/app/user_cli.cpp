#include "app/user_cli.hpp"

#include <termios.h>
#include <unistd.h>

#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <optional>

#include "app/stores.hpp"
#include "auth/password.hpp"
#include "auth/user_admin.hpp"
#include "auth/user_rules.hpp"
#include "util/time.hpp"

namespace aicc::app {
namespace {

constexpr const char* kUsage = R"(usage: aicc-chat [--config FILE] [--set KEY=VALUE] user COMMAND

commands:
  add USERNAME --role agent|admin|customer [--name DISPLAY_NAME] [--password-stdin]
  list [--all]                 users (--all: guests too)
  disable USERNAME             refuse logins and refreshes from now on
  enable USERNAME
  passwd USERNAME [--password-stdin]   set a new password and revoke every refresh token
  max-rooms USERNAME N         an agent's own room limit (0: routing.max-rooms-per-agent); a
                               running server applies it when it next takes the routing authority
                               (the supervisor page applies it at once)
  audit [--limit N]            the newest changes made to users, by whom

Every change is recorded in the user audit log with the OS user who made it ("cli:NAME"), as
changes made from the supervisor page are with the admin who made them.

Disabling a user or changing a password revokes every login of theirs at once: refresh tokens,
access tokens, and the sessions open on a running server sharing the database (within
auth.revocation-sync-interval seconds).

Passwords are asked for twice on a terminal, or read as one line from standard input with
--password-stdin (for scripts). They need at least 8 characters.
)";

// Who runs the command, for the audit log.
auth::Actor cli_actor() {
  std::string name;
  if (const char* login = ::getlogin(); login != nullptr) name = login;
  if (name.empty()) {
    if (const char* user = std::getenv("USER"); user != nullptr) name = user;
  }
  if (name.empty()) name = "uid" + std::to_string(::getuid());
  return auth::Actor{"cli:" + name, name, {}};
}

std::optional<std::string> read_line(bool echo) {
  termios saved{};
  const bool tty = ::isatty(STDIN_FILENO) != 0;
  if (tty && !echo) {
    ::tcgetattr(STDIN_FILENO, &saved);
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  }
  std::string line;
  const bool ok = static_cast<bool>(std::getline(std::cin, line));
  if (tty && !echo) {
    ::tcsetattr(STDIN_FILENO, TCSANOW, &saved);
    std::fputs("\n", stderr);
  }
  if (!ok) return std::nullopt;
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

std::optional<std::string> ask_password(bool from_stdin) {
  std::optional<std::string> password;
  if (from_stdin || ::isatty(STDIN_FILENO) == 0) {
    password = read_line(true);
  } else {
    std::fputs("password: ", stderr);
    password = read_line(false);
    std::fputs("again: ", stderr);
    const auto again = read_line(false);
    if (!password || !again || *password != *again) {
      std::fputs("aicc-chat: the two passwords differ\n", stderr);
      return std::nullopt;
    }
  }
  if (!password) return std::nullopt;
  if (const std::string problem = auth::password_problem(*password); !problem.empty()) {
    std::fprintf(stderr, "aicc-chat: %s\n", problem.c_str());
    return std::nullopt;
  }
  return password;
}

bool parse_count(const std::string& text, int& out) {
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out);
  return error == std::errc() && end == text.data() + text.size();
}

int fail(const std::string& message) {
  std::fprintf(stderr, "aicc-chat: %s\n", message.c_str());
  return 1;
}

}  // namespace

int run_user_command(const config::Config& config, const std::vector<std::string>& args) {
  if (args.empty() || args[0] == "--help" || args[0] == "help") {
    std::fputs(kUsage, args.empty() ? stderr : stdout);
    return args.empty() ? 2 : 0;
  }
  const std::string& command = args[0];
  std::vector<std::string> positional;
  std::string role_text;
  std::string display_name;
  std::string limit_text;
  bool password_stdin = false;
  bool all = false;
  for (std::size_t i = 1; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if ((arg == "--role" || arg == "--name") && i + 1 < args.size()) {
      (arg == "--role" ? role_text : display_name) = args[++i];
    } else if (arg == "--limit" && i + 1 < args.size()) {
      limit_text = args[++i];
    } else if (arg == "--password-stdin") {
      password_stdin = true;
    } else if (arg == "--all") {
      all = true;
    } else if (arg.starts_with("--")) {
      return fail("unknown option " + arg + " (see aicc-chat user --help)");
    } else {
      positional.push_back(arg);
    }
  }

  std::unique_ptr<auth::UserStore> store;
  try {
    store = open_user_store(config);
  } catch (const std::exception& e) {
    return fail(e.what());
  }

  const std::int64_t deny_for = config.jwt.access_token_validity + config.jwt.clock_skew;
  auth::UserAdmin admin(*store, deny_for, false);
  const auth::Actor actor = cli_actor();
  if (command == "audit") {
    int limit = 50;
    if (!limit_text.empty() && (!parse_count(limit_text, limit) || limit < 1 || limit > 1000))
      return fail("--limit must be 1 to 1000");
    std::printf("%-24s %-16s %-15s %-20s %s\n", "AT", "BY", "ACTION", "USER", "DETAIL");
    for (const auth::UserAuditEntry& e : store->query_user_audit(0, limit)) {
      std::printf(
          "%-24s %-16s %-15s %-20s %s\n",
          util::rfc3339(std::chrono::system_clock::time_point(std::chrono::milliseconds(e.at)))
              .c_str(),
          e.actor_id.c_str(), e.action.c_str(), e.target_username.c_str(), e.detail.c_str());
    }
    return 0;
  }
  if (command == "list") {
    std::printf("%-26s %-20s %-9s %-8s %s\n", "ID", "USERNAME", "ROLE", "STATE", "DISPLAY NAME");
    for (const auth::User& user : store->list_users(all)) {
      std::printf("%-26s %-20s %-9s %-8s %s\n", user.id.c_str(),
                  user.guest ? "(guest)" : user.username.c_str(),
                  std::string(auth::to_string(user.role)).c_str(),
                  user.disabled ? "disabled" : "active", user.display_name.c_str());
    }
    return 0;
  }
  if (positional.empty() || (positional.size() != 1 && command != "max-rooms"))
    return fail(command + " needs exactly one USERNAME (see aicc-chat user --help)");
  const std::string& username = positional[0];

  if (command == "add") {
    if (!auth::valid_username(username))
      return fail("a username has 1 to 64 letters, digits and . _ - @");
    std::string upper;
    for (char c : role_text)
      upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    const auto role = auth::parse_role(upper);
    if (!role) return fail("--role must be agent, admin or customer");
    if (!display_name.empty() && !auth::valid_account_display_name(display_name))
      return fail("--name: 1 to 64 bytes of UTF-8, no control characters");
    if (store->find_user_by_username(username)) return fail("user " + username + " already exists");
    const auto password = ask_password(password_stdin);
    if (!password) return 1;
    auto added = admin.create(actor, {username, *role, display_name, *password, 0});
    if (!added) return fail(added.error().message);
    std::printf("added %s (%s, %s)\n", username.c_str(),
                std::string(auth::to_string(added->user.role)).c_str(), added->user.id.c_str());
    return 0;
  }

  const auto user = store->find_user_by_username(username);
  if (!user) return fail("no user " + username);
  // Every login of the user ends: its refresh tokens, the access tokens it issued (refused until
  // the last of them would expire) and, within auth.revocation-sync-interval, the live sessions of
  // a running server, which reads the revocations from the store.
  if (command == "disable" || command == "enable") {
    const bool disable = command == "disable";
    auto changed = admin.set_disabled(actor, user->id, disable);
    if (!changed) return fail(changed.error().message);
    if (!disable) {
      std::printf("enabled %s\n", username.c_str());
      return 0;
    }
    std::printf("disabled %s; their logins are revoked and their open sessions end\n",
                username.c_str());
    return 0;
  }
  if (command == "passwd") {
    const auto password = ask_password(password_stdin);
    if (!password) return 1;
    auto changed = admin.reset_password(actor, user->id, *password);
    if (!changed) return fail(changed.error().message);
    std::printf("password of %s changed; their logins are revoked and their open sessions end\n",
                username.c_str());
    return 0;
  }
  if (command == "max-rooms") {
    if (positional.size() != 2) return fail("max-rooms needs USERNAME and N");
    int limit = 0;
    if (!parse_count(positional[1], limit)) return fail("N must be a whole number");
    auto changed = admin.set_max_rooms(actor, user->id, limit);
    if (!changed) return fail(changed.error().message);
    std::printf("room limit of %s: %s\n", username.c_str(),
                limit == 0 ? "the configured default" : std::to_string(limit).c_str());
    return 0;
  }
  return fail("unknown command " + command + " (see aicc-chat user --help)");
}

}  // namespace aicc::app
