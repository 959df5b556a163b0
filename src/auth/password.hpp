// Password hashing with argon2id (libsodium crypto_pwhash_str), parameters stored in the hash.
//
// Hashing is deliberately slow (tens of milliseconds and 64 MiB): call it from the blocking worker
// pool, never from an I/O thread. Passwords are never logged.
#pragma once

#include <string>
#include <string_view>

namespace aicc::auth {

inline constexpr std::size_t kMaxPasswordBytes = 1024;  // longer input is refused before hashing

// An argon2id hash string ("$argon2id$v=19$m=...").
std::string hash_password(std::string_view password);

// True when `password` matches `hash`. A malformed hash never matches.
bool verify_password(std::string_view password, std::string_view hash);

// Burns the same time as verify_password() on a real hash; used for unknown users so that a
// login answers in about the same time whether or not the username exists.
void verify_password_dummy(std::string_view password);

}  // namespace aicc::auth
