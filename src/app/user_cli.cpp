#include "app/user_cli.hpp"

#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <optional>

#include "app/stores.hpp"
#include "auth/password.hpp"
#include "util/random.hpp"
#include "util/time.hpp"
#include "util/utf8.hpp"

namespace aicc::app {
namespace {

constexpr const char* kUsage = R"(usage: aicc-chat [--config FILE] [--set KEY=VALUE] user COMMAND

commands:
  add USERNAME --role agent|admin|customer [--name DISPLAY_NAME] [--password-stdin]
  list [--all]                 users (--all: guests too)
  disable USERNAME             refuse logins and refreshes from now on
  enable USERNAME
  passwd USERNAME [--password-stdin]   set a new password and revoke every refresh token

Disabling a user or changing a password revokes every login of theirs at once: refresh tokens,
access tokens, and the sessions open on a running server sharing the database (within
auth.revocation-sync-interval seconds).

Passwords are asked for twice on a terminal, or read as one line from standard input with
--password-stdin (for scripts). They need at least 8 characters.
)";

constexpr std::size_t kMinPassword = 8;

bool valid_username(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  for (unsigned char c : name) {
    if (!std::isalnum(c) && c != '.' && c != '_' && c != '-' && c != '@') return false;
  }
  return true;
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
  if (!password || password->size() < kMinPassword || password->size() > auth::kMaxPasswordBytes) {
    std::fprintf(stderr, "aicc-chat: a password needs %zu to %zu characters\n", kMinPassword,
                 auth::kMaxPasswordBytes);
    return std::nullopt;
  }
  return password;
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
  bool password_stdin = false;
  bool all = false;
  for (std::size_t i = 1; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if ((arg == "--role" || arg == "--name") && i + 1 < args.size()) {
      (arg == "--role" ? role_text : display_name) = args[++i];
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
  if (positional.size() != 1)
    return fail(command + " needs exactly one USERNAME (see aicc-chat user --help)");
  const std::string& username = positional[0];

  if (command == "add") {
    if (!valid_username(username))
      return fail("a username has 1 to 64 letters, digits and . _ - @");
    std::string upper;
    for (char c : role_text)
      upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    const auto role = auth::parse_role(upper);
    if (!role) return fail("--role must be agent, admin or customer");
    if (display_name.empty()) display_name = username;
    if (display_name.size() > 64 || !util::is_valid_utf8(display_name))
      return fail("--name: at most 64 bytes of UTF-8");
    if (store->find_user_by_username(username)) return fail("user " + username + " already exists");
    const auto password = ask_password(password_stdin);
    if (!password) return 1;
    auth::User user;
    user.id = "u_" + util::random_hex(12);
    user.username = username;
    user.display_name = display_name;
    user.role = *role;
    user.password_hash = auth::hash_password(*password);
    user.created_at = util::unix_seconds();
    if (!store->create_user(user)) return fail("user " + username + " already exists");
    std::printf("added %s (%s, %s)\n", username.c_str(),
                std::string(auth::to_string(user.role)).c_str(), user.id.c_str());
    return 0;
  }

  const auto user = store->find_user_by_username(username);
  if (!user) return fail("no user " + username);
  // Every login of the user ends: its refresh tokens, the access tokens it issued (refused until
  // the last of them would expire) and, within auth.revocation-sync-interval, the live sessions of
  // a running server, which reads the revocations from the store.
  auto revoke_logins = [&](const std::string& reason) {
    const std::int64_t until =
        util::unix_seconds() + config.jwt.access_token_validity + config.jwt.clock_skew;
    return store->deny_families_of_user(user->id, until, reason);
  };
  if (command == "disable" || command == "enable") {
    const bool disable = command == "disable";
    store->set_disabled(user->id, disable);
    if (!disable) {
      std::printf("enabled %s\n", username.c_str());
      return 0;
    }
    const std::size_t logins = revoke_logins("account disabled");
    std::printf("disabled %s; %zu logins revoked, their open sessions end\n", username.c_str(),
                logins);
    return 0;
  }
  if (command == "passwd") {
    const auto password = ask_password(password_stdin);
    if (!password) return 1;
    store->set_password_hash(user->id, auth::hash_password(*password));
    const std::size_t logins = revoke_logins("password changed");
    std::printf("password of %s changed; %zu logins revoked, their open sessions end\n",
                username.c_str(), logins);
    return 0;
  }
  return fail("unknown command " + command + " (see aicc-chat user --help)");
}

}  // namespace aicc::app
