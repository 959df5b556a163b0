#include "auth/jwt.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <limits>
#include <ostream>
#include <string>

#include "util/base64.hpp"

namespace aicc::auth {

// Failures print "token expired" rather than bytes.
void PrintTo(JwtError error, std::ostream* out) { *out << describe(error); }

namespace {

const std::string kSecret = "an-hs256-test-key-of-at-least-32-bytes!";
constexpr std::int64_t kNow = 1700000000;
constexpr std::int64_t kSkew = 60;

// HMAC straight from OpenSSL, independent of the code under test.
std::string hmac(const EVP_MD* digest, std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(digest, key.data(), int(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), out, &length);
  return std::string(reinterpret_cast<const char*>(out), length);
}

std::string b64(std::string_view bytes) { return util::base64url_encode(bytes); }

// A token made by hand from raw header and payload JSON, signed with `digest` under `key`.
std::string make_token(std::string_view header, std::string_view payload,
                       std::string_view key = kSecret, const EVP_MD* digest = EVP_sha256()) {
  const std::string input = b64(header) + "." + b64(payload);
  return input + "." + b64(hmac(digest, key, input));
}

const std::string kHeader = R"({"alg":"HS256","typ":"JWT"})";

// A payload with every required claim, valid at kNow; `extra` is spliced in after them.
std::string payload_with(std::string_view extra = "") {
  std::string payload = R"({"sub":"u-1","role":"CUSTOMER","iat":1700000000,"exp":1700003600,)"
                        R"("jti":"t-1","iss":"aicc-chat")";
  if (!extra.empty()) payload += "," + std::string(extra);
  return payload + "}";
}

Claims sample_claims() {
  Claims claims;
  claims.sub = "u-42";
  claims.role = "AGENT";
  claims.name = "Kim \"Agent\" \xEA\xB9\x80";  // a quote and a Hangul syllable
  claims.jti = "jti-123";
  claims.iss = "aicc-chat";
  claims.iat = kNow;
  claims.exp = kNow + 3600;
  claims.nbf = kNow - 5;
  return claims;
}

JwtVerifier verifier(std::string issuer = "aicc-chat") {
  return JwtVerifier(kSecret, std::move(issuer), kSkew);
}

JwtError error_of(std::string_view token, std::int64_t now = kNow,
                  const JwtVerifier& v = verifier()) {
  auto result = v.verify(token, now);
  EXPECT_FALSE(result) << "token was accepted";
  return result ? JwtError::kMalformed : result.error();
}

void expect_accepted(std::string_view token, std::int64_t now = kNow) {
  auto result = verifier().verify(token, now);
  EXPECT_TRUE(result) << describe(result ? JwtError::kMalformed : result.error());
}

// Parts of a token, for tampering.
struct Parts {
  std::string header, payload, signature;
};
Parts split(const std::string& token) {
  const std::size_t a = token.find('.');
  const std::size_t b = token.find('.', a + 1);
  return {token.substr(0, a), token.substr(a + 1, b - a - 1), token.substr(b + 1)};
}
std::string join(const Parts& p) { return p.header + "." + p.payload + "." + p.signature; }

TEST(Jwt, RoundTripsEveryClaim) {
  const Claims claims = sample_claims();
  auto result = verifier().verify(sign_hs256(claims, kSecret), kNow);
  ASSERT_TRUE(result) << describe(result.error());
  EXPECT_EQ(result->sub, claims.sub);
  EXPECT_EQ(result->role, claims.role);
  EXPECT_EQ(result->name, claims.name);
  EXPECT_EQ(result->jti, claims.jti);
  EXPECT_EQ(result->iss, claims.iss);
  EXPECT_EQ(result->iat, claims.iat);
  EXPECT_EQ(result->exp, claims.exp);
  EXPECT_EQ(result->nbf, claims.nbf);
}

TEST(Jwt, LeavesOutAbsentOptionalClaims) {
  Claims claims = sample_claims();
  claims.name.clear();
  claims.iss.clear();
  claims.nbf = 0;
  const std::string token = sign_hs256(claims, kSecret);
  const auto payload = util::base64url_decode(split(token).payload);
  ASSERT_TRUE(payload);
  EXPECT_EQ(*payload, R"({"sub":"u-42","role":"AGENT","iat":1700000000,"exp":1700003600,)"
                      R"("jti":"jti-123"})");
  auto result = verifier("").verify(token, kNow);
  ASSERT_TRUE(result) << describe(result.error());
  EXPECT_EQ(result->name, "");
  EXPECT_EQ(result->iss, "");
  EXPECT_EQ(result->nbf, 0);
}

TEST(Jwt, SignsWithThePinnedHeader) {
  const std::string token = sign_hs256(sample_claims(), kSecret);
  EXPECT_EQ(util::base64url_decode(split(token).header), R"({"alg":"HS256","typ":"JWT"})");
  EXPECT_EQ(token.find('='), std::string::npos);
  EXPECT_EQ(token, sign_hs256(sample_claims(), kSecret));  // deterministic
}

TEST(Jwt, RejectsAnotherKey) {
  EXPECT_EQ(error_of(sign_hs256(sample_claims(), kSecret + "x")), JwtError::kBadSignature);
  EXPECT_EQ(error_of(make_token(kHeader, payload_with(), "another key")), JwtError::kBadSignature);
}

TEST(Jwt, RejectsAlgNone) {
  const std::string unsigned_token =
      b64(R"({"alg":"none","typ":"JWT"})") + "." + b64(payload_with()) + ".";
  EXPECT_EQ(error_of(unsigned_token), JwtError::kBadAlgorithm);
  // Even correctly MAC'd, a token that says "none" is refused.
  EXPECT_EQ(error_of(make_token(R"({"alg":"none"})", payload_with())), JwtError::kBadAlgorithm);
  EXPECT_EQ(error_of(make_token(R"({"alg":"None"})", payload_with())), JwtError::kBadAlgorithm);
}

TEST(Jwt, RejectsOtherAlgorithmsBeforeTheSignature) {
  EXPECT_EQ(
      error_of(make_token(R"({"alg":"HS512","typ":"JWT"})", payload_with(), kSecret, EVP_sha512())),
      JwtError::kBadAlgorithm);
  EXPECT_EQ(error_of(make_token(R"({"alg":"RS256","typ":"JWT"})", payload_with())),
            JwtError::kBadAlgorithm);
  EXPECT_EQ(error_of(make_token(R"({"alg":"hs256"})", payload_with())), JwtError::kBadAlgorithm);
  EXPECT_EQ(error_of(make_token(R"({"typ":"JWT"})", payload_with())), JwtError::kBadAlgorithm);
  EXPECT_EQ(error_of(make_token(R"({"alg":256})", payload_with())), JwtError::kBadAlgorithm);
  EXPECT_EQ(error_of(make_token(R"({"alg":["HS256"]})", payload_with())), JwtError::kBadAlgorithm);
  // The algorithm is judged first: a garbage signature does not change the answer.
  EXPECT_EQ(error_of(b64(R"({"alg":"RS256"})") + "." + b64(payload_with()) + ".AAAA"),
            JwtError::kBadAlgorithm);
}

TEST(Jwt, ChecksTypAndCrit) {
  expect_accepted(make_token(R"({"alg":"HS256"})", payload_with()));
  EXPECT_EQ(error_of(make_token(R"({"alg":"HS256","typ":"JWS"})", payload_with())),
            JwtError::kMalformed);
  EXPECT_EQ(error_of(make_token(R"({"alg":"HS256","typ":1})", payload_with())),
            JwtError::kMalformed);
  EXPECT_EQ(error_of(make_token(R"({"alg":"HS256","crit":["exp"],"exp":1})", payload_with())),
            JwtError::kMalformed);
}

TEST(Jwt, RejectsATamperedPayload) {
  const std::string token = sign_hs256(sample_claims(), kSecret);
  Parts parts = split(token);
  std::string payload = *util::base64url_decode(parts.payload);
  payload.replace(payload.find("AGENT"), 5, "ADMIN");
  parts.payload = b64(payload);
  EXPECT_EQ(error_of(join(parts)), JwtError::kBadSignature);
}

TEST(Jwt, RejectsATamperedHeader) {
  Parts parts = split(sign_hs256(sample_claims(), kSecret));
  parts.header = b64(R"({"alg":"HS256","typ":"JWT","kid":"1"})");
  EXPECT_EQ(error_of(join(parts)), JwtError::kBadSignature);
}

TEST(Jwt, RejectsATamperedSignature) {
  Parts parts = split(sign_hs256(sample_claims(), kSecret));
  const Parts original = parts;
  parts.signature[10] = parts.signature[10] == 'A' ? 'B' : 'A';
  EXPECT_EQ(error_of(join(parts)), JwtError::kBadSignature);
  parts = original;
  const std::string mac = *util::base64url_decode(original.signature);
  parts.signature = b64(mac.substr(0, 16));  // a truncated MAC
  EXPECT_EQ(error_of(join(parts)), JwtError::kBadSignature);
  parts.signature.clear();
  EXPECT_EQ(error_of(join(parts)), JwtError::kBadSignature);
  parts = original;
  parts.signature += "AAAA";
  EXPECT_EQ(error_of(join(parts)), JwtError::kBadSignature);
}

TEST(Jwt, EmptySecretVerifiesNothing) {
  const JwtVerifier empty("", "", kSkew);
  EXPECT_EQ(error_of(sign_hs256(sample_claims(), ""), kNow, empty), JwtError::kBadSignature);
}

TEST(Jwt, RejectsAnExpiredToken) {
  Claims claims = sample_claims();
  claims.iat = kNow - 7200;
  claims.nbf = 0;
  claims.exp = kNow - kSkew;
  EXPECT_EQ(error_of(sign_hs256(claims, kSecret)), JwtError::kExpired);
  claims.exp = kNow - 3600;
  EXPECT_EQ(error_of(sign_hs256(claims, kSecret)), JwtError::kExpired);
  claims.exp = std::numeric_limits<std::int64_t>::min();
  EXPECT_EQ(error_of(sign_hs256(claims, kSecret)), JwtError::kExpired);
}

TEST(Jwt, AcceptsExpiryWithinTheSkew) {
  Claims claims = sample_claims();
  claims.iat = kNow - 7200;
  claims.nbf = 0;
  claims.exp = kNow - kSkew + 1;
  expect_accepted(sign_hs256(claims, kSecret));
  claims.exp = kNow;
  expect_accepted(sign_hs256(claims, kSecret));
}

TEST(Jwt, RejectsATokenNotYetValid) {
  Claims claims = sample_claims();
  claims.nbf = kNow + kSkew + 1;
  EXPECT_EQ(error_of(sign_hs256(claims, kSecret)), JwtError::kNotYetValid);
  claims.nbf = 0;
  claims.iat = kNow + kSkew + 1;
  EXPECT_EQ(error_of(sign_hs256(claims, kSecret)), JwtError::kNotYetValid);
}

TEST(Jwt, AcceptsStartWithinTheSkew) {
  Claims claims = sample_claims();
  claims.nbf = kNow + kSkew;
  claims.iat = kNow + kSkew;
  expect_accepted(sign_hs256(claims, kSecret));
}

TEST(Jwt, SurvivesExtremeTimes) {
  Claims claims = sample_claims();
  claims.exp = std::numeric_limits<std::int64_t>::max();
  claims.iat = std::numeric_limits<std::int64_t>::min();
  claims.nbf = 0;
  const std::string token = sign_hs256(claims, kSecret);
  EXPECT_TRUE(verifier().verify(token, std::numeric_limits<std::int64_t>::max()));
  EXPECT_TRUE(verifier().verify(token, std::numeric_limits<std::int64_t>::min() + 1));
  claims.nbf = std::numeric_limits<std::int64_t>::max();
  EXPECT_EQ(error_of(sign_hs256(claims, kSecret)), JwtError::kNotYetValid);
}

TEST(Jwt, RejectsEachMissingRequiredClaim) {
  const std::string all[] = {R"("sub":"u-1")", R"("role":"CUSTOMER")", R"("iat":1700000000)",
                             R"("exp":1700003600)", R"("jti":"t-1")"};
  for (std::size_t skip = 0; skip < std::size(all); ++skip) {
    std::string payload = "{";
    for (std::size_t i = 0; i < std::size(all); ++i) {
      if (i == skip) continue;
      payload += (payload.size() > 1 ? "," : "") + all[i];
    }
    payload += "}";
    EXPECT_EQ(error_of(make_token(kHeader, payload), kNow, verifier("")), JwtError::kMissingClaim)
        << "without " << all[skip];
  }
}

TEST(Jwt, RejectsClaimsOfTheWrongType) {
  const std::string wrong[] = {
      R"({"sub":1,"role":"A","iat":1700000000,"exp":1700003600,"jti":"t"})",
      R"({"sub":"u","role":null,"iat":1700000000,"exp":1700003600,"jti":"t"})",
      R"({"sub":"u","role":"A","iat":true,"exp":1700003600,"jti":"t"})",
      R"({"sub":"u","role":"A","iat":1700000000,"exp":"1700003600","jti":"t"})",
      R"({"sub":"u","role":"A","iat":1700000000,"exp":1700003600.5,"jti":"t"})",
      R"({"sub":"u","role":"A","iat":1700000000,"exp":1.7e10,"jti":"t"})",
      R"({"sub":"u","role":"A","iat":1700000000,"exp":18446744073709551615,"jti":"t"})",
      R"({"sub":"u","role":"A","iat":1700000000,"exp":1700003600,"jti":{"id":"t"}})",
      R"({"sub":"u","role":"A","iat":1700000000,"exp":1700003600,"jti":"t","name":5})",
      R"({"sub":"u","role":"A","iat":1700000000,"exp":1700003600,"jti":"t","iss":["x"]})",
      R"({"sub":"u","role":"A","iat":1700000000,"exp":1700003600,"jti":"t","nbf":"0"})",
      R"({"sub":"","role":"A","iat":1700000000,"exp":1700003600,"jti":"t"})",
      R"({"sub":"u","role":"A","iat":1700000000,"exp":1700003600,"jti":""})",
  };
  for (const std::string& payload : wrong) {
    EXPECT_EQ(error_of(make_token(kHeader, payload), kNow, verifier("")), JwtError::kMissingClaim)
        << payload;
  }
}

TEST(Jwt, KeepsTheLastOfDuplicateMembers) {
  auto result = verifier().verify(make_token(kHeader, payload_with(R"("role":"AGENT")")), kNow);
  ASSERT_TRUE(result) << describe(result.error());
  EXPECT_EQ(result->role, "AGENT");
}

TEST(Jwt, IgnoresUnknownClaims) {
  expect_accepted(make_token(kHeader, payload_with(R"("scope":["a","b"],"x":{"y":null})")));
}

TEST(Jwt, RejectsAnotherIssuer) {
  EXPECT_EQ(error_of(make_token(kHeader, payload_with(R"("iss":"someone-else")"))),
            JwtError::kWrongIssuer);
  const std::string without_iss =
      R"({"sub":"u","role":"A","iat":1700000000,"exp":1700003600,"jti":"t"})";
  EXPECT_EQ(error_of(make_token(kHeader, without_iss)), JwtError::kWrongIssuer);
  // No issuer configured: any issuer, or none, is accepted.
  EXPECT_TRUE(verifier("").verify(make_token(kHeader, payload_with(R"("iss":"other")")), kNow));
  EXPECT_TRUE(verifier("").verify(make_token(kHeader, without_iss), kNow));
}

TEST(Jwt, RejectsOversizedTokensFirst) {
  EXPECT_EQ(error_of(std::string(1024 * 1024, 'a')), JwtError::kTooLarge);
  EXPECT_EQ(error_of(std::string(kMaxTokenBytes + 1, '.')), JwtError::kTooLarge);
  // A real token, made too large by its name alone.
  Claims claims = sample_claims();
  claims.name = std::string(kMaxTokenBytes, 'n');
  EXPECT_EQ(error_of(sign_hs256(claims, kSecret)), JwtError::kTooLarge);
}

TEST(Jwt, LimitIsInclusive) {
  // At the limit the token is read (and found malformed); one byte more and it is not.
  EXPECT_EQ(error_of(std::string(kMaxTokenBytes, 'a')), JwtError::kMalformed);
  EXPECT_EQ(error_of(std::string(kMaxTokenBytes + 1, 'a')), JwtError::kTooLarge);
}

TEST(Jwt, RejectsGarbage) {
  const std::string good = sign_hs256(sample_claims(), kSecret);
  const Parts parts = split(good);
  const std::string garbage[] = {
      "",
      "abc",
      "a.b",
      "..",
      "...",
      good + ".",
      good + "." + parts.signature,
      parts.header + "." + parts.payload,
      "!!!." + parts.payload + "." + parts.signature,
      parts.header + "=." + parts.payload + "." + parts.signature,        // padding
      parts.header + " ." + parts.payload + "." + parts.signature,        // space
      parts.header + "." + parts.payload + "." + parts.signature + "==",  // padded signature
      parts.header + "." + parts.payload + "." + parts.signature + "*",   // bad signature char
      b64("[\"alg\",\"HS256\"]") + "." + parts.payload + "." + parts.signature,
      b64("{\"alg\":\"HS256\"") + "." + parts.payload + "." + parts.signature,
      b64("{\"alg\":\"HS\xff\"}") + "." + parts.payload + "." + parts.signature,  // not UTF-8
      b64("\"HS256\"") + "." + parts.payload + "." + parts.signature,
      "eyJhbGciOiJIUzI1NiJ9\xC3\xA9." + parts.payload + "." + parts.signature,
  };
  for (const std::string& token : garbage) {
    EXPECT_EQ(error_of(token), JwtError::kMalformed) << token;
  }
}

TEST(Jwt, RejectsGarbagePayloadsEvenWhenSigned) {
  // Correctly MAC'd payloads that are not a JSON object of UTF-8 text.
  const std::string payloads[] = {
      "",
      "[1,2,3]",
      "\"just a string\"",
      "{\"sub\":",
      "{\"sub\":\"\xC0\xAF\",\"role\":\"A\",\"iat\":1,\"exp\":1700003600,\"jti\":\"t\"}",
      "{\"a\":" + std::string(40, '[') + std::string(40, ']') + "}",
      payload_with() + " trailing",
  };
  for (const std::string& payload : payloads) {
    EXPECT_EQ(error_of(make_token(kHeader, payload)), JwtError::kMalformed) << payload;
  }
  // A payload segment that is not base64url at all, MAC'd as it stands.
  const std::string input = b64(kHeader) + ".#not-base64#";
  EXPECT_EQ(error_of(input + "." + b64(hmac(EVP_sha256(), kSecret, input))), JwtError::kMalformed);
}

TEST(Jwt, RejectsNonCanonicalBase64) {
  // Two spellings of the same bytes: they differ only in the spare low bits of the last character.
  const Parts parts = split(sign_hs256(sample_claims(), kSecret));
  std::string signature = parts.signature;  // 43 characters: the last one has 2 spare bits
  ASSERT_EQ(signature.size(), 43u);
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const std::size_t index = alphabet.find(signature.back());
  signature.back() = alphabet[index ^ 1];  // same decoded bytes, another spelling
  ASSERT_EQ(util::base64url_decode(signature), util::base64url_decode(parts.signature));
  EXPECT_EQ(error_of(parts.header + "." + parts.payload + "." + signature), JwtError::kMalformed);
}

// RFC 7515 appendix A.1: a JWS made by another implementation, with CR LF inside its JSON.
constexpr std::string_view kRfcSigningInput =
    "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9"
    ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlf"
    "Q";
constexpr std::string_view kRfcSignature = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
constexpr std::string_view kRfcKey =
    "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow";

TEST(JwtInterop, ChecksTheRfc7515Signature) {
  const std::string key = *util::base64url_decode(kRfcKey);
  ASSERT_EQ(b64(hmac(EVP_sha256(), key, kRfcSigningInput)), kRfcSignature);
  const std::string token = std::string(kRfcSigningInput) + "." + std::string(kRfcSignature);
  // The signature is accepted; the RFC's claims then lack sub, role, iat and jti.
  const JwtVerifier rfc(key, "", kSkew);
  EXPECT_EQ(error_of(token, 1300819380 - 100, rfc), JwtError::kMissingClaim);
  // One bit off in the signature and it is refused as such.
  std::string bad = token;
  bad[bad.size() - 5] = bad[bad.size() - 5] == 'A' ? 'B' : 'A';
  EXPECT_EQ(error_of(bad, 1300819380 - 100, rfc), JwtError::kBadSignature);
  EXPECT_EQ(error_of(token, 1300819380 - 100, JwtVerifier("wrong", "", kSkew)),
            JwtError::kBadSignature);
}

TEST(JwtInterop, AcceptsAHandBuiltToken) {
  // Another writer's layout: members in another order, whitespace, escapes, typ before alg.
  const std::string header = "{\"typ\":\"JWT\",\r\n \"alg\":\"HS256\"}";
  const std::string payload =
      "{ \"jti\" : \"9f1c\", \"exp\" : 1700003600, \"iat\" : 1699999990,\n"
      "  \"iss\" : \"aicc-chat\", \"name\" : \"\\u00c9lise \\ud83d\\ude00\",\n"
      "  \"role\" : \"CUSTOMER\", \"sub\" : \"guest-7\", \"custom\" : [1, {\"a\": null}] }";
  const std::string input = b64(header) + "." + b64(payload);
  const std::string token = input + "." + b64(hmac(EVP_sha256(), kSecret, input));
  auto result = verifier().verify(token, kNow);
  ASSERT_TRUE(result) << describe(result.error());
  EXPECT_EQ(result->sub, "guest-7");
  EXPECT_EQ(result->role, "CUSTOMER");
  EXPECT_EQ(result->jti, "9f1c");
  EXPECT_EQ(result->iss, "aicc-chat");
  EXPECT_EQ(result->name, "\xC3\x89lise \xF0\x9F\x98\x80");  // "Élise 😀" in UTF-8
  EXPECT_EQ(result->iat, 1699999990);
  EXPECT_EQ(result->exp, 1700003600);
  EXPECT_EQ(result->nbf, 0);
}

TEST(JwtInterop, OurSignatureIsPlainHmacOverTheSigningInput) {
  const std::string token = sign_hs256(sample_claims(), kSecret);
  const std::size_t last_dot = token.rfind('.');
  EXPECT_EQ(token.substr(last_dot + 1),
            b64(hmac(EVP_sha256(), kSecret, std::string_view(token).substr(0, last_dot))));
}

TEST(Jwt, DescribesEveryError) {
  EXPECT_EQ(describe(JwtError::kTooLarge), "token too large");
  EXPECT_EQ(describe(JwtError::kMalformed), "malformed token");
  EXPECT_EQ(describe(JwtError::kBadAlgorithm), "unsupported algorithm");
  EXPECT_EQ(describe(JwtError::kBadSignature), "invalid signature");
  EXPECT_EQ(describe(JwtError::kExpired), "token expired");
  EXPECT_EQ(describe(JwtError::kNotYetValid), "token not yet valid");
  EXPECT_EQ(describe(JwtError::kMissingClaim), "missing claim");
  EXPECT_EQ(describe(JwtError::kWrongIssuer), "wrong issuer");
}

}  // namespace
}  // namespace aicc::auth

namespace aicc::auth {
namespace {

// Audience and lifetime: a token is held to what this server issues.

TEST(JwtAudience, WithoutAConfiguredAudienceATokenThatNamesOneIsRefused) {
  EXPECT_EQ(error_of(make_token(kHeader, payload_with(R"("aud":"another-service")"))),
            JwtError::kWrongAudience);
  EXPECT_EQ(error_of(make_token(kHeader, payload_with(R"("aud":["another-service"])"))),
            JwtError::kWrongAudience);
  expect_accepted(make_token(kHeader, payload_with()));
}

TEST(JwtAudience, AConfiguredAudienceMustBeNamed) {
  const JwtVerifier chat(kSecret, "aicc-chat", kSkew, "aicc-chat-api");
  auto named = chat.verify(make_token(kHeader, payload_with(R"("aud":"aicc-chat-api")")), kNow);
  ASSERT_TRUE(named) << describe(named.error());
  EXPECT_EQ(named->aud, "aicc-chat-api");
  EXPECT_TRUE(
      chat.verify(make_token(kHeader, payload_with(R"("aud":["billing","aicc-chat-api"])")), kNow));

  EXPECT_EQ(error_of(make_token(kHeader, payload_with(R"("aud":"billing")")), kNow, chat),
            JwtError::kWrongAudience);
  EXPECT_EQ(error_of(make_token(kHeader, payload_with(R"("aud":["billing"])")), kNow, chat),
            JwtError::kWrongAudience);
  EXPECT_EQ(error_of(make_token(kHeader, payload_with()), kNow, chat), JwtError::kWrongAudience);
  EXPECT_EQ(error_of(make_token(kHeader, payload_with(R"("aud":"AICC-CHAT-API")")), kNow, chat),
            JwtError::kWrongAudience);
  EXPECT_EQ(error_of(make_token(kHeader, payload_with(R"("aud":42)")), kNow, chat),
            JwtError::kMalformed);
  EXPECT_EQ(error_of(make_token(kHeader, payload_with(R"("aud":["aicc-chat-api",7])")), kNow, chat),
            JwtError::kMalformed);
}

TEST(JwtAudience, SignedTokensCarryTheirAudience) {
  Claims claims = sample_claims();
  claims.aud = "aicc-chat-api";
  const JwtVerifier chat(kSecret, "aicc-chat", kSkew, "aicc-chat-api");
  EXPECT_TRUE(chat.verify(sign_hs256(claims, kSecret), kNow));
  EXPECT_EQ(error_of(sign_hs256(claims, kSecret)), JwtError::kWrongAudience);
}

TEST(JwtLifetime, ExpMayNotLieFurtherFromIatThanTheValidity) {
  const JwtVerifier hour(kSecret, "aicc-chat", kSkew, "", 3600);
  // payload_with() lives exactly 3600 s.
  EXPECT_TRUE(hour.verify(make_token(kHeader, payload_with()), kNow));
  const std::string absurd =
      R"({"sub":"u-1","role":"CUSTOMER","iat":1700000000,"exp":4102444800,"jti":"t-1",)"
      R"("iss":"aicc-chat"})";
  EXPECT_EQ(error_of(make_token(kHeader, absurd), kNow, hour), JwtError::kBadLifetime);
  const std::string one_second_too_long =
      R"({"sub":"u-1","role":"CUSTOMER","iat":1700000000,"exp":1700003601,"jti":"t-1",)"
      R"("iss":"aicc-chat"})";
  EXPECT_EQ(error_of(make_token(kHeader, one_second_too_long), kNow, hour), JwtError::kBadLifetime);
  // An exp before iat is no lifetime at all, and iat far in the past cannot overflow the check.
  const std::string backwards =
      R"({"sub":"u-1","role":"CUSTOMER","iat":1700000000,"exp":1699999990,"jti":"t-1",)"
      R"("iss":"aicc-chat"})";
  EXPECT_EQ(error_of(make_token(kHeader, backwards), kNow, hour), JwtError::kBadLifetime);
  const std::string overflow =
      R"({"sub":"u-1","role":"CUSTOMER","iat":-9223372036854775807,"exp":1700003600,)"
      R"("jti":"t-1","iss":"aicc-chat"})";
  EXPECT_EQ(error_of(make_token(kHeader, overflow), kNow, hour), JwtError::kBadLifetime);
  // Unbounded when no validity is given.
  EXPECT_TRUE(verifier().verify(make_token(kHeader, absurd), kNow));
}

}  // namespace
}  // namespace aicc::auth
