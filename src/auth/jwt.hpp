// JSON Web Tokens, HS256 only (RFC 7519 / RFC 7515).
//
// The algorithm is pinned: a token whose header names any other `alg` (none, HS512, RS256, ...) is
// refused before its signature is even looked at. Signature comparison is constant-time. A token
// is held to what this server issues: its issuer and audience when configured (and no audience
// when none is), and a lifetime (exp - iat) no longer than the configured validity, so a token
// minted with a far `exp` is refused however it was signed.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "util/result.hpp"

namespace aicc::auth {

struct Claims {
  std::string sub;   // user id
  std::string role;  // CUSTOMER, AGENT or ADMIN
  std::string name;  // display name
  std::string jti;   // token id, for revocation
  std::string iss;   // issuer
  std::string sid;   // the login (refresh-token family) the token was issued under; may be empty
  std::string aud;   // audience; empty when absent (on verification: the configured one matched)
  std::int64_t iat = 0;  // issued at, unix seconds
  std::int64_t exp = 0;  // expires at, unix seconds
  std::int64_t nbf = 0;  // not before, unix seconds; 0 when absent
};

enum class JwtError {
  kTooLarge,      // over kMaxTokenBytes
  kMalformed,     // not three base64url parts of JSON objects
  kBadAlgorithm,  // alg is not HS256
  kBadSignature,
  kExpired,
  kNotYetValid,   // nbf or iat in the future beyond the allowed skew
  kMissingClaim,  // sub, role, exp, iat or jti absent or of the wrong type
  kWrongIssuer,
  kWrongAudience,  // aud absent, or not naming the configured audience; or present, none configured
  kBadLifetime,    // exp - iat longer than the configured validity (or exp before iat)
};

inline constexpr std::size_t kMaxTokenBytes = 8 * 1024;

// Lower-case reason, used after "authentication failed: " (e.g. "token expired").
std::string_view describe(JwtError error);

class JwtVerifier {
 public:
  // `secret` is the raw HMAC key; `issuer` empty accepts any issuer. `audience` empty refuses any
  // token that names one; else `aud` (a string, or an array of strings) must name it.
  // `max_lifetime_seconds` bounds exp - iat; 0 leaves it unbounded.
  JwtVerifier(std::string secret, std::string issuer, std::int64_t clock_skew_seconds,
              std::string audience = {}, std::int64_t max_lifetime_seconds = 0);
  util::Result<Claims, JwtError> verify(std::string_view token, std::int64_t now_unix) const;

 private:
  std::string secret_;
  std::string issuer_;
  std::int64_t skew_;
  std::string audience_;
  std::int64_t max_lifetime_;  // seconds; 0: unbounded
};

// Signs `claims` as an HS256 JWT (absent optional claims are left out).
std::string sign_hs256(const Claims& claims, std::string_view secret);

}  // namespace aicc::auth
