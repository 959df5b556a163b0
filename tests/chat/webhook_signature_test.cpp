#include "chat/webhook_signature.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "../util/unreachable_shared_state.hpp"
#include "util/memory_shared_state.hpp"

namespace aicc::chat {
namespace {

constexpr std::int64_t kWebhookT0 = 1'700'000'000;  // unix seconds of the "now" most tests use
constexpr Millis kNow = kWebhookT0 * 1000;
const std::string kSecret = "test-secret";
const std::string kBody = R"({"sessionId":"s-1","botMessage":"hi"})";

WebhookVerifier make_verifier(std::size_t max_remembered = 10'000) {
  WebhookVerifierOptions options;
  options.secret = kSecret;
  options.max_remembered = max_remembered;
  return WebhookVerifier(std::move(options));
}

WebhookVerifier::Result verify_signed(WebhookVerifier& verifier, std::int64_t timestamp,
                                      std::string_view body, Millis now) {
  return verifier.verify(std::to_string(timestamp), sign_webhook(kSecret, timestamp, body), body,
                         now);
}

void expect_error(const WebhookVerifier::Result& result, WebhookError error) {
  ASSERT_FALSE(result.has_value()) << "expected " << to_string(error);
  EXPECT_EQ(result.error(), error) << "got " << to_string(result.error());
}

std::string upper(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return text;
}

TEST(WebhookSignatureTest, SignMatchesAnIndependentHmac) {
  // Computed with Python's hmac module.
  EXPECT_EQ(sign_webhook(kSecret, kWebhookT0, kBody),
            "sha256=e87aa2f0efafacb4c0623cc923907bc5a18523ffaaedf802972633871be714a8");
  EXPECT_EQ(sign_webhook(kSecret, kWebhookT0, ""),
            "sha256=02135fb92b9e5ac01b6ffb10fb1ce695acf10403dc760ecd132a9fd9d96d71d1");
}

TEST(WebhookSignatureTest, AcceptsAFreshSignedCall) {
  auto verifier = make_verifier();
  const auto result = verify_signed(verifier, kWebhookT0, kBody, kNow + 1234);
  ASSERT_TRUE(result.has_value()) << to_string(result.error());
  EXPECT_EQ(result->timestamp, kWebhookT0);
  EXPECT_EQ(verifier.remembered(), 1u);
}

TEST(WebhookSignatureTest, RefusesMissingHeaders) {
  auto verifier = make_verifier();
  const std::string signature = sign_webhook(kSecret, kWebhookT0, kBody);
  expect_error(verifier.verify("", signature, kBody, kNow), WebhookError::kMissingTimestamp);
  expect_error(verifier.verify(std::to_string(kWebhookT0), "", kBody, kNow),
               WebhookError::kMissingSignature);
  expect_error(verifier.verify("", "", kBody, kNow), WebhookError::kMissingTimestamp);
}

TEST(WebhookSignatureTest, RefusesTimestampsThatAreNotWholeSeconds) {
  auto verifier = make_verifier();
  const std::string signature = sign_webhook(kSecret, kWebhookT0, kBody);
  for (std::string_view timestamp :
       {"abc", "-1700000000", "+1700000000", " 1700000000", "1700000000 ", "1700000000.5", "1.7e9",
        "0x6553F100", "1700000000000", "99999999999999999999999", "١٧٠٠٠٠٠٠٠٠"}) {
    expect_error(verifier.verify(timestamp, signature, kBody, kNow), WebhookError::kBadTimestamp);
  }
}

TEST(WebhookSignatureTest, RefusesSignaturesOfTheWrongShape) {
  auto verifier = make_verifier();
  const std::string good = sign_webhook(kSecret, kWebhookT0, kBody);
  const std::string hex = good.substr(7);
  for (const std::string& signature :
       std::vector<std::string>{hex,                            // no prefix
                                "SHA256=" + hex,                // prefix is case-sensitive
                                "sha1=" + hex,                  // another algorithm
                                "sha256 =" + hex, "sha256=",    // malformed, empty
                                "sha256=" + hex.substr(1),      // 63 digits
                                "sha256=" + hex + "0",          // 65 digits
                                "sha256=" + hex.substr(0, 40),  // a SHA-1-sized MAC
                                "sha256=" + hex.substr(0, 63) + "g",
                                "sha256=" + hex + "," + "sha256=" + hex,  // several signatures
                                " " + good, good + " "}) {
    expect_error(verifier.verify(std::to_string(kWebhookT0), signature, kBody, kNow),
                 WebhookError::kBadSignatureFormat);
  }
  EXPECT_EQ(verifier.remembered(), 0u);
}

TEST(WebhookSignatureTest, AcceptsUppercaseHex) {
  auto verifier = make_verifier();
  const std::string signature =
      "sha256=" + upper(sign_webhook(kSecret, kWebhookT0, kBody).substr(7));
  EXPECT_TRUE(verifier.verify(std::to_string(kWebhookT0), signature, kBody, kNow).has_value());
}

TEST(WebhookSignatureTest, RefusesAlteredBodyTimestampOrSecret) {
  auto verifier = make_verifier();
  const std::string signature = sign_webhook(kSecret, kWebhookT0, kBody);
  expect_error(verifier.verify(std::to_string(kWebhookT0), signature, kBody + " ", kNow),
               WebhookError::kBadSignature);
  expect_error(verifier.verify(std::to_string(kWebhookT0 + 1), signature, kBody, kNow),
               WebhookError::kBadSignature);
  expect_error(verifier.verify(std::to_string(kWebhookT0),
                               sign_webhook("other-secret", kWebhookT0, kBody), kBody, kNow),
               WebhookError::kBadSignature);
  // Leading zeros spell the same time but are not the text that was signed.
  expect_error(verifier.verify("0" + std::to_string(kWebhookT0), signature, kBody, kNow),
               WebhookError::kBadSignature);
  // One flipped bit in the MAC.
  std::string flipped = signature;
  flipped.back() = flipped.back() == '0' ? '1' : '0';
  expect_error(verifier.verify(std::to_string(kWebhookT0), flipped, kBody, kNow),
               WebhookError::kBadSignature);
  EXPECT_EQ(verifier.remembered(), 0u);  // only authentic calls enter the replay cache
}

TEST(WebhookSignatureTest, AcceptsTimestampsUpToTheToleranceEitherWay) {
  auto verifier = make_verifier();
  EXPECT_TRUE(verify_signed(verifier, kWebhookT0 - 300, kBody, kNow).has_value());
  EXPECT_TRUE(verify_signed(verifier, kWebhookT0 + 300, kBody, kNow).has_value());
}

TEST(WebhookSignatureTest, RefusesTimestampsBeyondTheTolerance) {
  auto verifier = make_verifier();
  expect_error(verify_signed(verifier, kWebhookT0 - 301, kBody, kNow),
               WebhookError::kStaleTimestamp);
  expect_error(verify_signed(verifier, kWebhookT0 + 301, kBody, kNow),
               WebhookError::kStaleTimestamp);
  expect_error(verify_signed(verifier, 0, kBody, kNow), WebhookError::kStaleTimestamp);
  expect_error(verify_signed(verifier, 999'999'999'999, kBody, kNow),
               WebhookError::kStaleTimestamp);
}

TEST(WebhookSignatureTest, RefusesAReplay) {
  auto verifier = make_verifier();
  ASSERT_TRUE(verify_signed(verifier, kWebhookT0, kBody, kNow).has_value());
  expect_error(verify_signed(verifier, kWebhookT0, kBody, kNow + 1000), WebhookError::kReplay);
  // Re-casing the hex does not make it a new call.
  const std::string recased = "sha256=" + upper(sign_webhook(kSecret, kWebhookT0, kBody).substr(7));
  expect_error(verifier.verify(std::to_string(kWebhookT0), recased, kBody, kNow + 2000),
               WebhookError::kReplay);
  // The same body at another second is another call.
  EXPECT_TRUE(verify_signed(verifier, kWebhookT0 + 1, kBody, kNow + 2000).has_value());
}

TEST(WebhookSignatureTest, ACallAcceptedByOneNodeIsAReplayOnEveryOther) {
  util::MemorySharedState shared;  // what Redis is to several nodes
  WebhookVerifierOptions options;
  options.secret = kSecret;
  options.shared = &shared;
  WebhookVerifier node1(options);
  WebhookVerifier node2(options);
  ASSERT_TRUE(verify_signed(node1, kWebhookT0, kBody, kNow).has_value());
  expect_error(verify_signed(node2, kWebhookT0, kBody, kNow + 1000), WebhookError::kReplay);
  expect_error(verify_signed(node1, kWebhookT0, kBody, kNow + 1000), WebhookError::kReplay);
  EXPECT_TRUE(verify_signed(node2, kWebhookT0 + 1, kBody, kNow + 1000).has_value());
  // Remembered as long as the timestamp is acceptable (300 s after it), no longer.
  EXPECT_EQ(shared.size(), 2u);
}

using UnreachableState = util::testing::UnreachableSharedState;

TEST(WebhookSignatureTest, AnUncheckableReplayCacheRefusesTheCall) {
  UnreachableState unreachable;
  WebhookVerifierOptions options;
  options.secret = kSecret;
  options.shared = &unreachable;
  WebhookVerifier verifier(options);
  expect_error(verify_signed(verifier, kWebhookT0, kBody, kNow), WebhookError::kReplayUncheckable);
  // The cheaper checks still come first.
  expect_error(
      verifier.verify(std::to_string(kWebhookT0), "sha256=" + std::string(64, '0'), kBody, kNow),
      WebhookError::kBadSignature);
}

TEST(WebhookSignatureTest, ACallForgottenAfterAFailureIsAcceptedAgainOnce) {
  util::MemorySharedState shared;
  for (util::SharedState* state :
       {static_cast<util::SharedState*>(nullptr), static_cast<util::SharedState*>(&shared)}) {
    WebhookVerifierOptions options;
    options.secret = kSecret;
    options.shared = state;
    WebhookVerifier verifier(options);
    const std::string signature = sign_webhook(kSecret, kWebhookT0, kBody);
    ASSERT_TRUE(verifier.verify(std::to_string(kWebhookT0), signature, kBody, kNow).has_value());
    // Forgetting a call that does not verify changes nothing.
    verifier.forget(std::to_string(kWebhookT0), "sha256=" + std::string(64, '0'), kBody);
    verifier.forget(std::to_string(kWebhookT0), signature, kBody + " ");
    expect_error(verifier.verify(std::to_string(kWebhookT0), signature, kBody, kNow + 1),
                 WebhookError::kReplay);
    // Its processing failed: the bot's retry is accepted, and only that once.
    verifier.forget(std::to_string(kWebhookT0), signature, kBody);
    ASSERT_TRUE(
        verifier.verify(std::to_string(kWebhookT0), signature, kBody, kNow + 2).has_value());
    expect_error(verifier.verify(std::to_string(kWebhookT0), signature, kBody, kNow + 3),
                 WebhookError::kReplay);
  }
}

TEST(WebhookSignatureTest, ReplayAfterTheWindowIsStaleAndForgotten) {
  auto verifier = make_verifier();
  ASSERT_TRUE(verify_signed(verifier, kWebhookT0, kBody, kNow).has_value());
  // Still inside the window at its very end: a replay.
  expect_error(verify_signed(verifier, kWebhookT0, kBody, kNow + 300'000), WebhookError::kReplay);
  // One millisecond later the timestamp itself is refused, and the entry is no longer needed.
  expect_error(verify_signed(verifier, kWebhookT0, kBody, kNow + 300'001),
               WebhookError::kStaleTimestamp);
  ASSERT_TRUE(verify_signed(verifier, kWebhookT0 + 400, kBody, kNow + 400'000).has_value());
  EXPECT_EQ(verifier.remembered(), 1u);
}

TEST(WebhookSignatureTest, FutureTimestampIsRememberedUntilItLeavesTheWindow) {
  auto verifier = make_verifier();
  ASSERT_TRUE(verify_signed(verifier, kWebhookT0 + 300, kBody, kNow).has_value());
  // Ten minutes later by the server's clock the future-dated call is still acceptable by time,
  // so it must still be known as a replay.
  expect_error(verify_signed(verifier, kWebhookT0 + 300, kBody, kNow + 600'000),
               WebhookError::kReplay);
}

TEST(WebhookSignatureTest, CacheEvictsTheOldestWhenFull) {
  auto verifier = make_verifier(3);
  // Arrival order differs from timestamp order: the oldest timestamp goes first.
  for (std::int64_t offset : {10, -10, 0, 20, -5}) {
    ASSERT_TRUE(verify_signed(verifier, kWebhookT0 + offset, kBody, kNow).has_value());
  }
  EXPECT_EQ(verifier.remembered(), 3u);
  EXPECT_EQ(verifier.evicted(), 2u);
  // +20 evicted -10 and -5 evicted 0, the oldest remembered each time; the call just accepted is
  // always kept, since it is the one most likely to be replayed next.
  expect_error(verify_signed(verifier, kWebhookT0 + 20, kBody, kNow), WebhookError::kReplay);
  expect_error(verify_signed(verifier, kWebhookT0 + 10, kBody, kNow), WebhookError::kReplay);
  expect_error(verify_signed(verifier, kWebhookT0 - 5, kBody, kNow), WebhookError::kReplay);
  // The documented trade-off of a bounded cache: an evicted signature passes again.
  EXPECT_TRUE(verify_signed(verifier, kWebhookT0 - 10, kBody, kNow).has_value());
}

TEST(WebhookSignatureTest, CacheNeverGrowsPastItsBound) {
  auto verifier = make_verifier(50);
  for (int i = 0; i < 2000; ++i) {
    const std::string body = kBody + std::to_string(i);
    ASSERT_TRUE(verify_signed(verifier, kWebhookT0, body, kNow).has_value());
    ASSERT_LE(verifier.remembered(), 50u);
  }
  EXPECT_EQ(verifier.evicted(), 1950u);
}

TEST(WebhookSignatureTest, RefusedCallsCannotFillTheCache) {
  auto verifier = make_verifier(5);
  ASSERT_TRUE(verify_signed(verifier, kWebhookT0, kBody, kNow).has_value());
  for (int i = 0; i < 1000; ++i) {
    const std::string forged = sign_webhook("guessed", kWebhookT0, kBody + std::to_string(i));
    expect_error(
        verifier.verify(std::to_string(kWebhookT0), forged, kBody + std::to_string(i), kNow),
        WebhookError::kBadSignature);
  }
  EXPECT_EQ(verifier.evicted(), 0u);
  expect_error(verify_signed(verifier, kWebhookT0, kBody, kNow), WebhookError::kReplay);
}

TEST(WebhookSignatureTest, SignsRawBytesOfAnySize) {
  auto verifier = make_verifier();
  const std::string binary("\x00\xFF\xFE{\"a\":\"\xC3\x28\"}", 13);
  EXPECT_TRUE(verify_signed(verifier, kWebhookT0, binary, kNow).has_value());
  const std::string huge(4 << 20, 'x');
  EXPECT_TRUE(verify_signed(verifier, kWebhookT0, huge, kNow).has_value());
  EXPECT_TRUE(verify_signed(verifier, kWebhookT0, "", kNow).has_value());
}

TEST(WebhookSignatureTest, ConcurrentDeliveriesOfOneCallAcceptOnlyOne) {
  auto verifier = make_verifier();
  const std::string timestamp = std::to_string(kWebhookT0);
  const std::string signature = sign_webhook(kSecret, kWebhookT0, kBody);
  std::atomic<int> accepted{0};
  std::atomic<int> replays{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        const auto result = verifier.verify(timestamp, signature, kBody, kNow);
        if (result.has_value()) {
          ++accepted;
        } else if (result.error() == WebhookError::kReplay) {
          ++replays;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(accepted.load(), 1);
  EXPECT_EQ(replays.load(), 8 * 50 - 1);
}

TEST(WebhookSignatureTest, RefusesNonsenseOptions) {
  EXPECT_THROW(WebhookVerifier(WebhookVerifierOptions{}), std::invalid_argument);
  EXPECT_THROW(WebhookVerifier(WebhookVerifierOptions{"s", std::chrono::seconds(0), 10}),
               std::invalid_argument);
  EXPECT_THROW(WebhookVerifier(WebhookVerifierOptions{"s", std::chrono::seconds(300), 0}),
               std::invalid_argument);
}

TEST(WebhookSignatureTest, EveryErrorHasItsOwnCodeAndDescription) {
  std::set<std::string_view> codes;
  std::set<std::string_view> descriptions;
  for (WebhookError error :
       {WebhookError::kMissingTimestamp, WebhookError::kMissingSignature,
        WebhookError::kBadTimestamp, WebhookError::kBadSignatureFormat,
        WebhookError::kStaleTimestamp, WebhookError::kBadSignature, WebhookError::kReplay}) {
    codes.insert(to_string(error));
    descriptions.insert(describe(error));
    EXPECT_GT(describe(error).size(), 20u);
  }
  EXPECT_EQ(codes.size(), 7u);
  EXPECT_EQ(descriptions.size(), 7u);
  EXPECT_EQ(to_string(WebhookError::kReplay), "replay");
  EXPECT_EQ(to_string(WebhookError::kStaleTimestamp), "stale_timestamp");
}

}  // namespace
}  // namespace aicc::chat
