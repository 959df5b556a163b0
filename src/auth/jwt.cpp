#include "auth/jwt.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <boost/json.hpp>
#include <limits>
#include <optional>
#include <stdexcept>
#include <utility>

#include "util/base64.hpp"
#include "util/utf8.hpp"

namespace aicc::auth {
namespace {

namespace json = boost::json;
using util::unexpected;

constexpr std::size_t kSignatureBytes = 32;  // HMAC-SHA256
using Mac = std::array<unsigned char, kSignatureBytes>;

// HMAC-SHA256 of `data` under `key`; false only if OpenSSL itself fails.
bool hmac_sha256(std::string_view key, std::string_view data, Mac& out) {
  // OpenSSL wants a non-null key pointer even for an empty key.
  static constexpr unsigned char kEmpty = 0;
  const void* key_data = key.empty() ? &kEmpty : static_cast<const void*>(key.data());
  unsigned int length = 0;
  const unsigned char* result =
      HMAC(EVP_sha256(), key_data, static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(), &length);
  return result != nullptr && length == out.size();
}

// A JWS segment: base64url without padding, in its one canonical spelling (RFC 7515 section 2).
// Refusing '=' and non-zero spare bits means one token has exactly one text, so a token id or a
// signature cannot be varied by re-spelling it.
std::optional<std::string> decode_segment(std::string_view text) {
  if (text.find('=') != std::string_view::npos) return std::nullopt;
  auto bytes = util::base64url_decode(text);
  if (!bytes || util::base64url_encode(*bytes) != text) return std::nullopt;
  return bytes;
}

// The segment decoded and parsed as a JSON object of valid UTF-8. Duplicate member names keep the
// last one, which RFC 7515 section 5.2 allows.
std::optional<json::object> decode_object(std::string_view segment) {
  const auto bytes = decode_segment(segment);
  if (!bytes || bytes->empty() || !util::is_valid_utf8(*bytes)) return std::nullopt;
  json::parse_options options;
  options.max_depth = 16;
  std::error_code ec;
  json::value value = json::parse(*bytes, ec, json::storage_ptr(), options);
  if (ec || !value.is_object()) return std::nullopt;
  return std::move(value.as_object());
}

enum class Field { kAbsent, kWrongType, kPresent };

Field get_string(const json::object& object, std::string_view name, std::string& out) {
  const json::value* value = object.if_contains(name);
  if (value == nullptr) return Field::kAbsent;
  if (!value->is_string()) return Field::kWrongType;
  out = std::string(value->get_string());
  return Field::kPresent;
}

// A NumericDate as a whole number of seconds; 1.5, 1e9 and numbers past int64 are refused.
Field get_integer(const json::object& object, std::string_view name, std::int64_t& out) {
  const json::value* value = object.if_contains(name);
  if (value == nullptr) return Field::kAbsent;
  if (!value->is_int64()) return Field::kWrongType;
  out = value->get_int64();
  return Field::kPresent;
}

std::int64_t saturating_add(std::int64_t a, std::int64_t b) {
  std::int64_t sum = 0;
  if (!__builtin_add_overflow(a, b, &sum)) return sum;
  return b > 0 ? std::numeric_limits<std::int64_t>::max()
               : std::numeric_limits<std::int64_t>::min();
}

}  // namespace

std::string_view describe(JwtError error) {
  switch (error) {
    case JwtError::kTooLarge:
      return "token too large";
    case JwtError::kMalformed:
      return "malformed token";
    case JwtError::kBadAlgorithm:
      return "unsupported algorithm";
    case JwtError::kBadSignature:
      return "invalid signature";
    case JwtError::kExpired:
      return "token expired";
    case JwtError::kNotYetValid:
      return "token not yet valid";
    case JwtError::kMissingClaim:
      return "missing claim";
    case JwtError::kWrongIssuer:
      return "wrong issuer";
    case JwtError::kWrongAudience:
      return "wrong audience";
    case JwtError::kBadLifetime:
      return "token lifetime longer than allowed";
  }
  return "invalid token";
}

JwtVerifier::JwtVerifier(std::string secret, std::string issuer, std::int64_t clock_skew_seconds,
                         std::string audience, std::int64_t max_lifetime_seconds)
    : secret_(std::move(secret)),
      issuer_(std::move(issuer)),
      skew_(clock_skew_seconds < 0 ? 0 : clock_skew_seconds),
      audience_(std::move(audience)),
      max_lifetime_(max_lifetime_seconds < 0 ? 0 : max_lifetime_seconds) {}

util::Result<Claims, JwtError> JwtVerifier::verify(std::string_view token,
                                                   std::int64_t now_unix) const {
  // The cheap checks first, and nothing in the payload is read before the signature is known good.
  if (token.size() > kMaxTokenBytes) return unexpected(JwtError::kTooLarge);

  const std::size_t first_dot = token.find('.');
  if (first_dot == std::string_view::npos) return unexpected(JwtError::kMalformed);
  const std::size_t second_dot = token.find('.', first_dot + 1);
  if (second_dot == std::string_view::npos) return unexpected(JwtError::kMalformed);
  if (token.find('.', second_dot + 1) != std::string_view::npos) {
    return unexpected(JwtError::kMalformed);
  }
  const std::string_view header_part = token.substr(0, first_dot);
  const std::string_view payload_part = token.substr(first_dot + 1, second_dot - first_dot - 1);
  const std::string_view signature_part = token.substr(second_dot + 1);

  const auto header = decode_object(header_part);
  if (!header) return unexpected(JwtError::kMalformed);

  // The algorithm is pinned, whatever the token asks for.
  const json::value* alg = header->if_contains("alg");
  if (alg == nullptr || !alg->is_string() || alg->get_string() != "HS256") {
    return unexpected(JwtError::kBadAlgorithm);
  }
  if (const json::value* typ = header->if_contains("typ")) {
    if (!typ->is_string() || typ->get_string() != "JWT") return unexpected(JwtError::kMalformed);
  }
  // "crit" names extensions the verifier must understand (RFC 7515 section 4.1.11); we know none.
  if (header->contains("crit")) return unexpected(JwtError::kMalformed);

  const auto signature = decode_segment(signature_part);
  if (!signature) return unexpected(JwtError::kMalformed);
  Mac expected{};
  // An empty key would make every token anyone can sign valid, so it verifies nothing.
  if (secret_.empty() || signature->size() != kSignatureBytes ||
      !hmac_sha256(secret_, token.substr(0, second_dot), expected) ||
      CRYPTO_memcmp(expected.data(), signature->data(), kSignatureBytes) != 0) {
    return unexpected(JwtError::kBadSignature);
  }

  const auto payload = decode_object(payload_part);
  if (!payload) return unexpected(JwtError::kMalformed);

  Claims claims;
  const bool required_ok = get_string(*payload, "sub", claims.sub) == Field::kPresent &&
                           get_string(*payload, "role", claims.role) == Field::kPresent &&
                           get_string(*payload, "jti", claims.jti) == Field::kPresent &&
                           get_integer(*payload, "exp", claims.exp) == Field::kPresent &&
                           get_integer(*payload, "iat", claims.iat) == Field::kPresent;
  // An empty subject, role or token id identifies nothing, so it counts as missing.
  if (!required_ok || claims.sub.empty() || claims.role.empty() || claims.jti.empty()) {
    return unexpected(JwtError::kMissingClaim);
  }
  const Field nbf = get_integer(*payload, "nbf", claims.nbf);
  if (get_string(*payload, "name", claims.name) == Field::kWrongType ||
      get_string(*payload, "iss", claims.iss) == Field::kWrongType ||
      get_string(*payload, "sid", claims.sid) == Field::kWrongType || nbf == Field::kWrongType) {
    return unexpected(JwtError::kMissingClaim);
  }

  if (claims.exp <= saturating_add(now_unix, -skew_)) return unexpected(JwtError::kExpired);
  const std::int64_t latest_start = saturating_add(now_unix, skew_);
  if ((nbf == Field::kPresent && claims.nbf > latest_start) || claims.iat > latest_start) {
    return unexpected(JwtError::kNotYetValid);
  }
  if (!issuer_.empty() && claims.iss != issuer_) return unexpected(JwtError::kWrongIssuer);

  // RFC 7519 section 4.1.3: a recipient that is not named in a present "aud" must refuse the
  // token, and a configured audience must be named.
  const json::value* aud = payload->if_contains("aud");
  if (aud == nullptr) {
    if (!audience_.empty()) return unexpected(JwtError::kWrongAudience);
  } else {
    bool named = false;
    bool well_formed = true;
    if (aud->is_string()) {
      named = aud->get_string() == audience_;
    } else if (aud->is_array()) {
      for (const json::value& entry : aud->get_array()) {
        if (!entry.is_string())
          well_formed = false;
        else if (entry.get_string() == audience_)
          named = true;
      }
    } else {
      well_formed = false;
    }
    if (!well_formed) return unexpected(JwtError::kMalformed);
    if (audience_.empty() || !named) return unexpected(JwtError::kWrongAudience);
    claims.aud = audience_;
  }

  // A lifetime longer than this server ever issues means a token minted elsewhere or by hand.
  if (max_lifetime_ > 0) {
    std::int64_t lifetime = 0;
    if (__builtin_sub_overflow(claims.exp, claims.iat, &lifetime) || lifetime < 0 ||
        lifetime > max_lifetime_) {
      return unexpected(JwtError::kBadLifetime);
    }
  }
  return claims;
}

std::string sign_hs256(const Claims& claims, std::string_view secret) {
  // Member order is fixed so that equal claims give equal tokens.
  const std::string header = R"({"alg":"HS256","typ":"JWT"})";
  json::object payload;
  payload["sub"] = claims.sub;
  payload["role"] = claims.role;
  if (!claims.name.empty()) payload["name"] = claims.name;
  if (!claims.iss.empty()) payload["iss"] = claims.iss;
  payload["iat"] = claims.iat;
  payload["exp"] = claims.exp;
  if (claims.nbf != 0) payload["nbf"] = claims.nbf;
  payload["jti"] = claims.jti;
  if (!claims.sid.empty()) payload["sid"] = claims.sid;
  if (!claims.aud.empty()) payload["aud"] = claims.aud;

  std::string token = util::base64url_encode(header);
  token += '.';
  token += util::base64url_encode(json::serialize(payload));
  Mac mac{};
  if (!hmac_sha256(secret, token, mac)) throw std::runtime_error("HMAC-SHA256 failed in OpenSSL");
  token += '.';
  token += util::base64url_encode(
      std::string_view(reinterpret_cast<const char*>(mac.data()), mac.size()));
  return token;
}

}  // namespace aicc::auth
