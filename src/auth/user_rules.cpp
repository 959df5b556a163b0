#include "auth/user_rules.hpp"

#include "auth/password.hpp"
#include "util/random.hpp"
#include "util/utf8.hpp"

namespace aicc::auth {

bool valid_username(std::string_view name) {
  if (name.empty() || name.size() > kMaxUsernameBytes) return false;
  for (const char c : name) {
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!alnum && c != '.' && c != '_' && c != '-' && c != '@') return false;
  }
  return true;
}

std::string password_problem(std::string_view password) {
  if (password.size() < kMinPasswordBytes || password.size() > kMaxPasswordBytes) {
    return "a password needs " + std::to_string(kMinPasswordBytes) + " to " +
           std::to_string(kMaxPasswordBytes) + " characters";
  }
  return {};
}

bool valid_account_display_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxDisplayNameBytes || !util::is_valid_utf8(name))
    return false;
  for (const char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return false;
  }
  return true;
}

std::string generate_password() {
  // No 0/O, 1/l/I: read aloud or copied by hand without mistakes.
  static constexpr std::string_view kAlphabet =
      "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  // Rejection sampling keeps every character equally likely.
  const std::size_t limit = 256 - (256 % kAlphabet.size());
  std::string password;
  while (password.size() < 16) {
    for (const char c : util::random_bytes(32)) {
      const auto u = static_cast<unsigned char>(c);
      if (u < limit && password.size() < 16) password += kAlphabet[u % kAlphabet.size()];
    }
  }
  return password;
}

}  // namespace aicc::auth
