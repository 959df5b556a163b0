// libFuzzer target for what a bot streams back and for the personal-data scanners that every
// chat text goes through: chat/bot_stream.hpp (SSE and NDJSON framing, each part through
// chat/bot_protocol.hpp's parse_stream_part) and chat/personal_data.hpp.
//
// Input layout: the first byte picks the target, the rest is the text.
//   0: a text/event-stream reply   1: an application/x-ndjson reply   2: a chat text
//   3: a webhook body and the bot's capabilities, summary and suggestions replies
// Other values wrap around.
//
// Besides the sanitizers, it checks that
//   - a stream decodes to the same parts (or the same problem) whether it arrives whole or in
//     pieces of any size (sizes picked from the input's hash);
//   - every part respects the documented limits, and only a final part carries answer fields;
//   - masking keeps the text's length, and masking or redacting twice changes nothing more;
//   - the spans found are in order, inside the text and never overlapping;
//   - a text shown as it grows (what is settled of it, masked as it is so far) never shows a digit
//     that masking the whole text masks: no number escapes masking by being split;
//   - the bot's replies stay within their documented limits.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "chat/bot_assist.hpp"
#include "chat/bot_stream.hpp"
#include "chat/personal_data.hpp"
#include "fuzz_check.hpp"

namespace {

namespace chat = aicc::chat;

struct Decoded {
  std::vector<chat::BotStreamPart> parts;
  bool failed = false;
};

Decoded decode(chat::BotStreamDecoder::Format format, std::string_view bytes, std::size_t step) {
  chat::BotStreamDecoder decoder(format);
  Decoded out;
  for (std::size_t at = 0; at < bytes.size() && !out.failed; at += step) {
    out.failed = decoder.feed(bytes.substr(at, step), out.parts).has_value();
  }
  if (!out.failed) out.failed = decoder.finish(out.parts).has_value();
  return out;
}

bool same_part(const chat::BotStreamPart& a, const chat::BotStreamPart& b) {
  return a.delta == b.delta && a.final == b.final && a.retract == b.retract &&
         a.need_human == b.need_human && a.category == b.category && a.bot_message == b.bot_message;
}

void check_stream(chat::BotStreamDecoder::Format format, std::string_view bytes) {
  const Decoded whole = decode(format, bytes, bytes.size() + 1);
  const std::size_t step = 1 + aicc::fuzz::hash_of(bytes) % 17;
  const Decoded pieces = decode(format, bytes, step);
  // A problem found part way may come after fewer parts when fed whole (it stops at once), so
  // the parts are compared only when neither failed.
  FUZZ_CHECK(whole.failed == pieces.failed);
  if (!whole.failed) {
    FUZZ_CHECK(whole.parts.size() == pieces.parts.size());
    for (std::size_t i = 0; i < whole.parts.size(); ++i) {
      FUZZ_CHECK(same_part(whole.parts[i], pieces.parts[i]));
    }
  }
  for (const chat::BotStreamPart& part : whole.parts) {
    FUZZ_CHECK(part.delta.size() <= chat::kBotStreamDeltaLimit);
    if (!part.final) {
      FUZZ_CHECK(!part.retract && !part.need_human && part.category.empty() && !part.bot_message);
    }
    if (part.bot_message) FUZZ_CHECK(part.bot_message->size() <= chat::kBotStreamTextLimit);
  }
}

void check_text(std::string_view text) {
  const auto spans = chat::find_personal_data(text);
  std::size_t previous_end = 0;
  for (const chat::PersonalDataSpan& span : spans) {
    FUZZ_CHECK(span.begin >= previous_end && span.begin < span.end && span.end <= text.size());
    previous_end = span.end;
  }
  std::string masked(text);
  chat::mask_identifiers(masked);
  FUZZ_CHECK(masked.size() == text.size());
  std::string again = masked;
  chat::mask_identifiers(again);
  FUZZ_CHECK(again == masked);
  const std::string redacted = chat::redact_for_bot(text);
  FUZZ_CHECK(chat::redact_for_bot(redacted) == redacted);
  // Growing: the text so far up to a point picked from the input is shown masked up to its
  // settled prefix; no digit the whole text masks may show there.
  const std::size_t grown = text.empty() ? 0 : aicc::fuzz::hash_of(text) % (text.size() + 1);
  const std::size_t cut = chat::settled_prefix(text.substr(0, grown));
  FUZZ_CHECK(cut <= grown);
  std::string shown(text.substr(0, grown));
  chat::mask_identifiers(shown);
  for (std::size_t i = 0; i < cut; ++i) {
    if (masked[i] != text[i]) FUZZ_CHECK(shown[i] == masked[i]);
  }
}

void check_bot_replies(std::string_view text) {
  if (auto webhook = chat::parse_webhook_body(text); webhook && webhook->part) {
    FUZZ_CHECK(webhook->part->number >= 1 &&
               webhook->part->number <= static_cast<std::int64_t>(chat::kBotStreamPartLimit));
    FUZZ_CHECK(webhook->part->answer_id.size() <= chat::kBotAnswerIdLimit);
  }
  const auto capabilities = chat::parse_capabilities(200, text);
  if (capabilities.protocol < 2) {
    FUZZ_CHECK(!capabilities.summary && !capabilities.suggestions && !capabilities.streaming);
  }
  if (auto summary = chat::parse_summary_reply(200, text)) {
    FUZZ_CHECK(!summary->summary.empty() && summary->summary.size() <= chat::kBotSummaryLimit);
    FUZZ_CHECK(summary->mood.empty() || chat::is_known_mood(summary->mood));
    FUZZ_CHECK(summary->category.size() <= 64);
  }
  if (auto suggestions = chat::parse_suggestions_reply(200, text)) {
    FUZZ_CHECK(suggestions->size() <= chat::kBotSuggestionsKept);
    for (const std::string& one : *suggestions) {
      FUZZ_CHECK(!one.empty() && one.size() <= chat::kBotSuggestionLimit);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 4) {
    case 0:
      check_stream(chat::BotStreamDecoder::Format::kEventStream, text);
      break;
    case 1:
      check_stream(chat::BotStreamDecoder::Format::kNdjson, text);
      break;
    case 2:
      check_text(text);
      break;
    default:
      check_bot_replies(text);
      break;
  }
  return 0;
}
