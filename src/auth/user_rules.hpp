// What makes a username, a password, a display name and a room limit acceptable: the rules the
// `aicc-chat user` command and the admin HTTP API share, so an account made one way is valid the
// other way too.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace aicc::auth {

inline constexpr std::size_t kMaxUsernameBytes = 64;
inline constexpr std::size_t kMinPasswordBytes = 8;  // kMaxPasswordBytes is in password.hpp
inline constexpr std::size_t kMaxDisplayNameBytes = 64;
// An agent's own room limit; 0 means routing.max-rooms-per-agent (same bounds as that setting).
inline constexpr int kMinRoomLimit = 1;
inline constexpr int kMaxRoomLimit = 100;

// 1 to 64 ASCII letters, digits and . _ - @.
bool valid_username(std::string_view name);
// Why `password` is refused (too short or too long); empty when acceptable.
std::string password_problem(std::string_view password);
// 1 to 64 bytes of UTF-8 without control characters.
bool valid_account_display_name(std::string_view name);
// A password for an admin to hand over once: 16 characters from an alphabet without look-alikes
// (about 90 bits).
std::string generate_password();

}  // namespace aicc::auth
