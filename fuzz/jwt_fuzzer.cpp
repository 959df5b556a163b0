// libFuzzer target for JWT verification and signing (auth/jwt.hpp).
//
// Input layout: the first byte picks the configuration, the rest is the token material.
//   bits 0-1: what the rest is
//             0: a whole token, verified as it comes (almost always a bad signature);
//             1: a header and a payload, separated by the first NUL byte, each base64url-encoded
//                and signed here with the verifier's key, so the checks after the signature run;
//             2 and 3: a payload only, under the header sign_hs256() writes, signed likewise
//   bits 2-3: the verifier's clock: 1700000000, 0, INT64_MIN or INT64_MAX (the extremes test the
//             saturating skew arithmetic)
//   bit 4:    the verifier requires the issuer "aicc-chat" (else any issuer)
// So a seed starting with '2' is a JSON payload checked at 1700000000 by a verifier that accepts
// any issuer.
//
// Besides the sanitizers, it checks that
//   - a correctly signed token is never refused for its signature, and a token over the size limit
//     is refused for its size;
//   - an accepted token has its required claims, is within its validity at the verifier's clock
//     (allowing the skew), and names the required issuer;
//   - the claims of an accepted token, signed again by sign_hs256(), verify to the same claims;
//   - an accepted token with one byte of its payload or signature changed is refused.
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include "auth/jwt.hpp"
#include "fuzz_check.hpp"
#include "util/base64.hpp"

namespace {

using aicc::auth::Claims;
using aicc::auth::JwtError;
using aicc::auth::JwtVerifier;

constexpr std::string_view kSecret = "fuzz-secret-0123456789abcdef0123456789";
constexpr std::int64_t kSkew = 60;

std::string signed_token(std::string_view header, std::string_view payload) {
  std::string token = aicc::util::base64url_encode(header);
  token += '.';
  token += aicc::util::base64url_encode(payload);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  FUZZ_CHECK(HMAC(EVP_sha256(), kSecret.data(), static_cast<int>(kSecret.size()),
                  reinterpret_cast<const unsigned char*>(token.data()), token.size(), mac,
                  &length) != nullptr);
  token += '.';
  token +=
      aicc::util::base64url_encode(std::string_view(reinterpret_cast<const char*>(mac), length));
  return token;
}

bool same_claims(const Claims& a, const Claims& b) {
  return a.sub == b.sub && a.role == b.role && a.name == b.name && a.jti == b.jti &&
         a.iss == b.iss && a.sid == b.sid && a.iat == b.iat && a.exp == b.exp && a.nbf == b.nbf;
}

std::int64_t saturated(std::int64_t now, std::int64_t delta) {
  std::int64_t sum = 0;
  if (!__builtin_add_overflow(now, delta, &sum)) return sum;
  return delta > 0 ? std::numeric_limits<std::int64_t>::max()
                   : std::numeric_limits<std::int64_t>::min();
}

void check_accepted(const JwtVerifier& verifier, const std::string& token, const Claims& claims,
                    std::int64_t now, bool require_issuer, std::uint32_t hash) {
  FUZZ_CHECK(!claims.sub.empty() && !claims.role.empty() && !claims.jti.empty());
  FUZZ_CHECK(claims.exp > saturated(now, -kSkew));
  FUZZ_CHECK(claims.iat <= saturated(now, kSkew));
  FUZZ_CHECK(claims.nbf <= saturated(now, kSkew) || claims.nbf == 0);
  FUZZ_CHECK(!require_issuer || claims.iss == "aicc-chat");

  const std::string again = aicc::auth::sign_hs256(claims, kSecret);
  if (again.size() <= aicc::auth::kMaxTokenBytes) {
    const auto back = verifier.verify(again, now);
    FUZZ_CHECK(back.has_value() && same_claims(*back, claims));
  }

  // One changed byte in the payload or the signature, at a position the hash picks.
  const std::size_t first_dot = token.find('.');
  FUZZ_CHECK(first_dot != std::string::npos && first_dot + 1 < token.size());
  const std::size_t at = first_dot + 1 + hash % (token.size() - first_dot - 1);
  if (token[at] == '.') return;
  std::string changed = token;
  changed[at] = changed[at] == 'A' ? 'B' : 'A';
  FUZZ_CHECK(!verifier.verify(changed, now).has_value());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t config = data[0];
  const std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  static constexpr std::int64_t kClocks[] = {1700000000, 0,
                                             std::numeric_limits<std::int64_t>::min(),
                                             std::numeric_limits<std::int64_t>::max()};
  const std::int64_t now = kClocks[(config >> 2) & 3];
  const bool require_issuer = (config & 16) != 0;
  const JwtVerifier verifier(std::string(kSecret), require_issuer ? "aicc-chat" : "", kSkew);

  std::string token;
  bool signed_here = true;
  switch (config & 3) {
    case 0:
      token = input;
      signed_here = false;
      break;
    case 1: {
      const std::size_t nul = input.find('\0');
      const std::string_view header = input.substr(0, nul);
      const std::string_view payload =
          nul == std::string_view::npos ? std::string_view() : input.substr(nul + 1);
      token = signed_token(header, payload);
      break;
    }
    default:
      token = signed_token(R"({"alg":"HS256","typ":"JWT"})", input);
      break;
  }

  const auto result = verifier.verify(token, now);
  if (token.size() > aicc::auth::kMaxTokenBytes) {
    FUZZ_CHECK(!result.has_value() && result.error() == JwtError::kTooLarge);
    return 0;
  }
  if (!result.has_value()) {
    FUZZ_CHECK(result.error() != JwtError::kTooLarge);
    FUZZ_CHECK(!signed_here || result.error() != JwtError::kBadSignature);
    FUZZ_CHECK(!aicc::auth::describe(result.error()).empty());
    return 0;
  }
  check_accepted(verifier, token, *result, now, require_issuer, aicc::fuzz::hash_of(input));
  return 0;
}
