#include "auth/password.hpp"

#include <sodium.h>

#include <stdexcept>

namespace aicc::auth {
namespace {

// Interactive limits: about 50-100 ms and 64 MiB per hash on a current core.
constexpr unsigned long long kOpsLimit = crypto_pwhash_OPSLIMIT_INTERACTIVE;
constexpr std::size_t kMemLimit = crypto_pwhash_MEMLIMIT_INTERACTIVE;

void ensure_sodium() {
  static const bool ready = sodium_init() >= 0;
  if (!ready) throw std::runtime_error("libsodium could not be initialised");
}

}  // namespace

std::string hash_password(std::string_view password) {
  ensure_sodium();
  if (password.size() > kMaxPasswordBytes) throw std::invalid_argument("password too long");
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(out, password.data(), password.size(), kOpsLimit, kMemLimit) != 0) {
    throw std::runtime_error("out of memory while hashing a password");
  }
  return out;
}

bool verify_password(std::string_view password, std::string_view hash) {
  ensure_sodium();
  if (password.size() > kMaxPasswordBytes || hash.empty() || hash.size() >= crypto_pwhash_STRBYTES)
    return false;
  // libsodium reads the hash as a C string: a NUL inside would hide whatever follows it.
  if (hash.find('\0') != std::string_view::npos) return false;
  const std::string terminated(hash);
  return crypto_pwhash_str_verify(terminated.c_str(), password.data(), password.size()) == 0;
}

void verify_password_dummy(std::string_view password) {
  static const std::string dummy = hash_password("dummy password for unknown users");
  (void)verify_password(password, dummy);
}

}  // namespace aicc::auth
