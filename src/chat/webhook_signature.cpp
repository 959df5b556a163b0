#include "chat/webhook_signature.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <optional>
#include <stdexcept>
#include <string>

#include "util/url_decode.hpp"

namespace aicc::chat {
namespace {

constexpr std::string_view kSignaturePrefix = "sha256=";
constexpr std::size_t kMacBytes = 32;
constexpr std::size_t kMaxTimestampDigits = 12;  // up to the year 33658; no overflow in ms

using Mac = std::array<unsigned char, kMacBytes>;

// HMAC-SHA256(secret, timestamp + "." + body), streamed so the body is not copied.
Mac compute_mac(std::string_view secret, std::string_view timestamp, std::string_view body) {
  Mac mac{};
  EVP_MAC* algorithm = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  EVP_MAC_CTX* context = algorithm ? EVP_MAC_CTX_new(algorithm) : nullptr;
  char digest[] = "SHA256";
  const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", digest, 0),
                               OSSL_PARAM_construct_end()};
  // OpenSSL wants a non-null key pointer even for an empty key.
  static constexpr unsigned char kEmpty = 0;
  const auto* key =
      secret.empty() ? &kEmpty : reinterpret_cast<const unsigned char*>(secret.data());
  const auto update = [&](std::string_view part) {
    return EVP_MAC_update(context, reinterpret_cast<const unsigned char*>(part.data()),
                          part.size()) == 1;
  };
  std::size_t length = 0;
  const bool ok = context && EVP_MAC_init(context, key, secret.size(), params) == 1 &&
                  update(timestamp) && update(".") && update(body) &&
                  EVP_MAC_final(context, mac.data(), &length, mac.size()) == 1 &&
                  length == mac.size();
  EVP_MAC_CTX_free(context);
  EVP_MAC_free(algorithm);
  if (!ok) throw std::runtime_error("HMAC-SHA256 failed in OpenSSL");
  return mac;
}

// "sha256=" and exactly 64 hex digits (either case: hex case carries no meaning, and the replay
// cache keys on the decoded bytes, so re-casing a signature does not make it new).
std::optional<Mac> parse_signature(std::string_view header) {
  if (!header.starts_with(kSignaturePrefix)) return std::nullopt;
  const std::string_view hex = header.substr(kSignaturePrefix.size());
  if (hex.size() != 2 * kMacBytes) return std::nullopt;
  Mac mac{};
  for (std::size_t i = 0; i < kMacBytes; ++i) {
    const int high = util::hex_digit_value(hex[2 * i]);
    const int low = util::hex_digit_value(hex[2 * i + 1]);
    if (high < 0 || low < 0) return std::nullopt;
    mac[i] = static_cast<unsigned char>(high * 16 + low);
  }
  return mac;
}

// Unix seconds: 1 to 12 decimal digits, nothing else (no sign, no spaces, no fraction).
std::optional<std::int64_t> parse_timestamp(std::string_view header) {
  if (header.empty() || header.size() > kMaxTimestampDigits) return std::nullopt;
  std::int64_t value = 0;
  for (char c : header) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

}  // namespace

std::string_view to_string(WebhookError error) {
  switch (error) {
    case WebhookError::kMissingTimestamp:
      return "missing_timestamp";
    case WebhookError::kMissingSignature:
      return "missing_signature";
    case WebhookError::kBadTimestamp:
      return "bad_timestamp";
    case WebhookError::kBadSignatureFormat:
      return "bad_signature_format";
    case WebhookError::kStaleTimestamp:
      return "stale_timestamp";
    case WebhookError::kBadSignature:
      return "bad_signature";
    case WebhookError::kReplay:
      return "replay";
    case WebhookError::kReplayUncheckable:
      return "replay_check_unavailable";
  }
  return "unknown";
}

std::string_view describe(WebhookError error) {
  switch (error) {
    case WebhookError::kMissingTimestamp:
      return "webhook call without an X-Aicc-Timestamp header (unix seconds); the bot must sign "
             "its calls";
    case WebhookError::kMissingSignature:
      return "webhook call without an X-Aicc-Signature header; the bot must sign its calls";
    case WebhookError::kBadTimestamp:
      return "X-Aicc-Timestamp is not a unix time in whole seconds (decimal digits only)";
    case WebhookError::kBadSignatureFormat:
      return "X-Aicc-Signature is not 'sha256=' followed by 64 hex digits";
    case WebhookError::kStaleTimestamp:
      return "X-Aicc-Timestamp is too far from the server's clock; check the bot host's clock "
             "(NTP), or the call was delayed or recorded and resent";
    case WebhookError::kBadSignature:
      return "X-Aicc-Signature does not match; the bot and bot.webhook-secret differ, or the body "
             "or timestamp was changed on the way (the MAC covers the raw body bytes)";
    case WebhookError::kReplay:
      return "this signed webhook call was already accepted; a replay, or the bot resent an "
             "identical call";
    case WebhookError::kReplayUncheckable:
      return "the replay cache shared by the nodes (Redis) could not be reached, so the call "
             "could not be checked; retry shortly";
  }
  return "unknown webhook error";
}

WebhookVerifier::WebhookVerifier(WebhookVerifierOptions options)
    : secret_(std::move(options.secret)),
      tolerance_ms_(
          std::chrono::duration_cast<std::chrono::milliseconds>(options.tolerance).count()),
      max_remembered_(options.max_remembered),
      shared_(options.shared) {
  if (secret_.empty()) throw std::invalid_argument("webhook secret must not be empty");
  if (tolerance_ms_ <= 0) throw std::invalid_argument("webhook tolerance must be positive");
  if (max_remembered_ == 0) throw std::invalid_argument("webhook replay cache needs room");
}

WebhookVerifier::Result WebhookVerifier::verify(std::string_view timestamp_header,
                                                std::string_view signature_header,
                                                std::string_view raw_body, Millis now) {
  using util::unexpected;
  if (timestamp_header.empty()) return unexpected(WebhookError::kMissingTimestamp);
  if (signature_header.empty()) return unexpected(WebhookError::kMissingSignature);
  const auto timestamp = parse_timestamp(timestamp_header);
  if (!timestamp) return unexpected(WebhookError::kBadTimestamp);
  const auto presented = parse_signature(signature_header);
  if (!presented) return unexpected(WebhookError::kBadSignatureFormat);

  const Millis signed_at = *timestamp * 1000;
  if (signed_at < now - tolerance_ms_ || signed_at > now + tolerance_ms_) {
    return unexpected(WebhookError::kStaleTimestamp);
  }

  const Mac expected = compute_mac(secret_, timestamp_header, raw_body);
  if (CRYPTO_memcmp(expected.data(), presented->data(), expected.size()) != 0) {
    return unexpected(WebhookError::kBadSignature);
  }

  // Authentic: remember it until its timestamp leaves the window, when the staleness check above
  // refuses it anyway.
  const Millis expires_at = signed_at + tolerance_ms_;
  if (shared_) {
    try {
      if (!shared_->add(shared_key(expected), (expires_at - now) / 1000 + 1)) {
        return unexpected(WebhookError::kReplay);
      }
    } catch (const util::SharedStateUnavailable&) {
      return unexpected(WebhookError::kReplayUncheckable);
    }
    return WebhookAccepted{*timestamp};
  }
  std::lock_guard lock(mutex_);
  forget_expired(now);
  if (expiry_by_mac_.contains(expected)) return unexpected(WebhookError::kReplay);
  if (expiry_by_mac_.size() >= max_remembered_) {
    const auto oldest = mac_by_expiry_.begin();
    expiry_by_mac_.erase(oldest->second);
    mac_by_expiry_.erase(oldest);
    ++evicted_;
  }
  expiry_by_mac_.emplace(expected, expires_at);
  mac_by_expiry_.emplace(expires_at, expected);
  return WebhookAccepted{*timestamp};
}

std::string WebhookVerifier::shared_key(const Mac& mac) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string key = "webhook:";
  for (unsigned char b : mac) {
    key += kHex[b >> 4];
    key += kHex[b & 15];
  }
  return key;
}

void WebhookVerifier::forget(std::string_view timestamp_header, std::string_view signature_header,
                             std::string_view raw_body) {
  const auto presented = parse_signature(signature_header);
  if (!parse_timestamp(timestamp_header) || !presented) return;
  const Mac expected = compute_mac(secret_, timestamp_header, raw_body);
  if (CRYPTO_memcmp(expected.data(), presented->data(), expected.size()) != 0) return;
  if (shared_) {
    try {
      shared_->clear(shared_key(expected));
    } catch (const util::SharedStateUnavailable&) {
      // Out of reach: the retry will be refused as a replay, as the bot was told it might be.
    }
    return;
  }
  std::lock_guard lock(mutex_);
  auto it = expiry_by_mac_.find(expected);
  if (it == expiry_by_mac_.end()) return;
  mac_by_expiry_.erase({it->second, expected});
  expiry_by_mac_.erase(it);
}

void WebhookVerifier::forget_expired(Millis now) {
  while (!mac_by_expiry_.empty() && mac_by_expiry_.begin()->first < now) {
    expiry_by_mac_.erase(mac_by_expiry_.begin()->second);
    mac_by_expiry_.erase(mac_by_expiry_.begin());
  }
}

std::size_t WebhookVerifier::remembered() const {
  std::lock_guard lock(mutex_);
  return expiry_by_mac_.size();
}

std::uint64_t WebhookVerifier::evicted() const {
  std::lock_guard lock(mutex_);
  return evicted_;
}

std::string sign_webhook(std::string_view secret, std::int64_t timestamp, std::string_view body) {
  static constexpr char kDigits[] = "0123456789abcdef";
  const Mac mac = compute_mac(secret, std::to_string(timestamp), body);
  std::string out(kSignaturePrefix);
  for (unsigned char byte : mac) {
    out += kDigits[byte >> 4];
    out += kDigits[byte & 0x0F];
  }
  return out;
}

}  // namespace aicc::chat
