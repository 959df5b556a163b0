// The wire shapes between the chat server and an external bot (pure; no I/O).
//
// Out: the body of `POST {bot.url}/api/chat`, `{sessionId, customerId, message}` as the seed's bot
// server reads it, plus `messageId` when known, which a bot may echo as `replyTo`.
// In: the bot's HTTP reply (a 2xx JSON object; with a string `botMessage` it is the answer, without
// one the bot will answer through the webhook) and the webhook body
// `{sessionId, customerId, botMessage, needHuman?, category?, replyTo?}`.
// Also the apology answer the customer gets when the bot fails.
//
// Input is expected to be bad: every limit is checked before parsing, and each problem comes back
// as a value with a code and a sentence naming the field. `null` counts as absent for the optional
// fields (a Java bot serializes unset fields as null). Unknown fields are ignored.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "chat/bot_rules.hpp"
#include "util/result.hpp"

namespace aicc::chat {

inline constexpr std::size_t kBotBodyLimit = 64 * 1024;  // bytes, reply and webhook bodies
inline constexpr std::size_t kBotIdLimit = 256;          // bytes, sessionId/customerId/replyTo
inline constexpr std::size_t kBotCategoryLimit = 128;    // bytes

inline constexpr std::string_view kCategoryBotUnavailable = "bot_unavailable";

// What the chat server tells the bot about one customer message.
struct BotChatRequest {
  std::string session_id{};   // the customer's conversation id
  std::string customer_id{};  // from the customer's token, never from the client
  std::string message{};      // the customer's text
  std::string message_id{};   // the stored message's id, sent as `messageId`; empty: omitted
  std::string lang{};         // the customer's page language ("ko", "en"), sent as `lang`, so the
                              // bot answers in it; empty: omitted
};

// The JSON body of `POST {bot.url}/api/chat`. Invalid UTF-8 in a field is replaced by U+FFFD,
// so the output is always valid JSON.
std::string make_chat_request(const BotChatRequest& request);

// An answer the bot gave, by HTTP reply or by webhook.
struct BotReply {
  BotAnswer answer{};
  std::optional<std::string> reply_to{};  // the `messageId` this answers, when the bot says so
};

enum class BotBodyError {
  kBadStatus,     // the HTTP reply's status is not 2xx
  kTooLarge,      // body over kBotBodyLimit (HTTP 413 for the webhook)
  kBadUtf8,       // body is not valid UTF-8
  kBadJson,       // not JSON, or nested too deeply
  kNotObject,     // JSON, but not an object
  kMissingField,  // a required field is absent (or null)
  kWrongType,     // a field has the wrong JSON type
  kBadValue,      // a field is empty or over its length limit
};
std::string_view to_string(BotBodyError error);  // "bad_status", "too_large", …, "bad_value"

struct BotBodyProblem {
  BotBodyError code = BotBodyError::kBadJson;
  std::string message{};  // for operators, names the field: "botMessage must be a string"
};

// The bot's reply to `POST /api/chat`. A value holding nullopt: the bot accepted the message but
// gave no `botMessage` (an empty body or an object without it): its answer will come by webhook.
util::Result<std::optional<BotReply>, BotBodyProblem> parse_chat_reply(int http_status,
                                                                       std::string_view body);

// ---- Streamed answers (protocol 2) ----------------------------------------------------------
// A bot may answer in parts: its HTTP reply as `text/event-stream` (each event's `data` one part)
// or `application/x-ndjson` (one part per line), framed by chat/bot_stream.hpp. A part is a JSON
// object: `{delta}` adds text; the last one has `final: true` and may carry `needHuman`,
// `category`, `botMessage` (the whole text, which then replaces the parts) or `retract: true`
// (take back what was shown; the customer then gets `botMessage`, if given, or the apology).
inline constexpr std::size_t kBotStreamDeltaLimit = 4096;      // bytes of text in one part
inline constexpr std::size_t kBotStreamTextLimit = 16 * 1024;  // bytes of a whole streamed answer

struct BotStreamPart {
  std::string delta{};  // text to add to the answer; may be empty
  bool final = false;
  bool retract = false;                    // final only
  bool need_human = false;                 // final only
  std::string category{};                  // final only; may be empty
  std::optional<std::string> bot_message;  // final only: the whole text, replacing the parts
};

inline constexpr std::size_t kBotStreamPartLimit = 2000;  // parts of one answer
inline constexpr std::size_t kBotAnswerIdLimit = 128;     // bytes of a webhook's answerId

// A webhook call may carry one part of an answer instead of a whole one:
// `{sessionId, customerId, answerId, part, delta?, final?, needHuman?, category?, botMessage?,
// retract?, replyTo?}`, `part` numbered from 1 for each `answerId` (letters, digits, - _ . :).
struct BotWebhookPart {
  std::string answer_id{};
  std::int64_t number = 0;
  BotStreamPart part{};
};

struct BotWebhook {
  std::string session_id{};
  std::string customer_id{};
  BotReply reply{};                      // a whole answer; with `part`, only its reply_to is set
  std::optional<BotWebhookPart> part{};  // one part of a streamed answer (protocol 2)
};

// A `POST /api/bot/webhook` body (after its signature was verified).
util::Result<BotWebhook, BotBodyProblem> parse_webhook_body(std::string_view body);

// One part, checked (limits above; `retract` and the answer fields only with `final`).
util::Result<BotStreamPart, BotBodyProblem> parse_stream_part(std::string_view json);

// What the customer gets when the bot times out, fails, answers nonsense or its circuit is open:
// an apology and the offer of an agent, `need_human` true, category "bot_unavailable".
// In English for an English `lang` (see is_english), else in Korean.
BotAnswer bot_unavailable_answer(std::string_view lang = "ko");

}  // namespace aicc::chat
