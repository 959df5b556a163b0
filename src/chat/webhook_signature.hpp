// Authentication of the bot's webhook calls (`POST /api/bot/webhook`).
//
// The bot signs each call with the shared secret `bot.webhook-secret`:
//   X-Aicc-Timestamp: <unix seconds>
//   X-Aicc-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + raw body)>
// The timestamp must lie within the tolerance (default ±300 s) of the server's clock, the MAC is
// compared in constant time, and a signature already accepted within the tolerance is refused as a
// replay. Signing the timestamp together with the body means an old request cannot be made fresh,
// and the replay cache only has to remember signatures as long as their timestamp is acceptable.
//
// The replay cache is bounded: when `max_remembered` signatures are live, the remembered one with
// the oldest timestamp is forgotten to make room for the new one (and counted in `evicted()`), so a
// replay of the forgotten one would pass. Only
// correctly signed calls enter the cache, so only a holder of the secret can fill it; size it
// above the bot's peak calls per 10 minutes. The cache never grows past its bound.
//
// Pure but for one lock: time comes in as `now`. `verify` may be called from any thread; the
// replay cache is the verifier's only mutable state and sits behind `mutex_`, held only for the
// cache lookup and insert (the HMAC is computed outside it).
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <utility>

#include "util/result.hpp"
#include "util/shared_state.hpp"

namespace aicc::chat {

using Millis = std::int64_t;  // unix milliseconds

inline constexpr std::string_view kWebhookTimestampHeader = "X-Aicc-Timestamp";
inline constexpr std::string_view kWebhookSignatureHeader = "X-Aicc-Signature";

// Why a webhook call was refused: HTTP 401, but 409 for a replay and 503 when the replay cache
// could not be checked.
enum class WebhookError {
  kMissingTimestamp,    // no (or an empty) X-Aicc-Timestamp header
  kMissingSignature,    // no (or an empty) X-Aicc-Signature header
  kBadTimestamp,        // the timestamp is not 1 to 12 decimal digits
  kBadSignatureFormat,  // the signature is not "sha256=" and 64 hex digits
  kStaleTimestamp,      // the timestamp is outside the tolerance of the server's clock
  kBadSignature,        // the MAC does not match (wrong secret, or body/timestamp altered)
  kReplay,              // this exact signed call was already accepted
  kReplayUncheckable,   // the shared replay cache (Redis) could not be reached: HTTP 503
};
// A stable code for logs and the `error` field: "missing_timestamp", …, "replay".
std::string_view to_string(WebhookError error);
// One sentence for operators: what was wrong and what usually causes it.
std::string_view describe(WebhookError error);

struct WebhookAccepted {
  std::int64_t timestamp = 0;  // unix seconds the bot signed
};

struct WebhookVerifierOptions {
  std::string secret{};                 // HMAC key, raw bytes; must not be empty
  std::chrono::seconds tolerance{300};  // allowed |timestamp - now| either way; > 0
  std::size_t max_remembered = 10'000;  // replay cache bound, signatures; >= 1
  // Several nodes: the replay cache lives here instead (Redis), so a call accepted by one node is
  // a replay on every node; max_remembered then does not apply. Null: this process's own cache.
  util::SharedState* shared = nullptr;
};

class WebhookVerifier {
 public:
  using Result = util::Result<WebhookAccepted, WebhookError>;

  // Throws std::invalid_argument for an empty secret, a tolerance <= 0 or a zero cache bound:
  // those are configuration mistakes, not bad input.
  explicit WebhookVerifier(WebhookVerifierOptions options);

  // Checks one call. The header values are passed as received (empty when absent); `raw_body` is
  // the body bytes exactly as received, before any parsing. Checks run from the cheapest to the
  // replay cache, which only an authentic call reaches (and which records it).
  Result verify(std::string_view timestamp_header, std::string_view signature_header,
                std::string_view raw_body, Millis now);

  // Forgets an accepted call whose processing failed (the store was out of reach), so that the
  // bot's retry of the very same call is accepted rather than refused as a replay. Nothing for a
  // call that does not verify.
  void forget(std::string_view timestamp_header, std::string_view signature_header,
              std::string_view raw_body);
  // Whether checks may wait on the network (the replay cache is shared, in Redis).
  bool checks_block() const { return shared_ != nullptr; }

  std::size_t remembered() const;  // signatures in the replay cache now
  std::uint64_t evicted() const;   // signatures forgotten early because the cache was full

 private:
  using Mac = std::array<unsigned char, 32>;

  void forget_expired(Millis now);  // requires mutex_
  static std::string shared_key(const Mac& mac);

  const std::string secret_;
  const Millis tolerance_ms_;
  const std::size_t max_remembered_;
  util::SharedState* const shared_;

  mutable std::mutex mutex_;
  std::map<Mac, Millis> expiry_by_mac_;             // accepted signatures → when they expire
  std::set<std::pair<Millis, Mac>> mac_by_expiry_;  // the same entries, oldest expiry first
  std::uint64_t evicted_ = 0;
};

// The X-Aicc-Signature value for a call: "sha256=" and 64 lowercase hex digits. For the bot side
// (tests and examples); `timestamp` is unix seconds, as sent in X-Aicc-Timestamp.
std::string sign_webhook(std::string_view secret, std::int64_t timestamp, std::string_view body);

}  // namespace aicc::chat
