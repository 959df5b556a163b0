// The built-in demo bot (`bot.url: builtin`): keyword rules from a customer message to an answer.
//
// It answers like the seed's external bot server, so the embedded default works with no other
// process: a refund question gets the self-service answer, a payment error and an explicit request
// for a person hand the customer to an agent (`need_human`), delivery and greetings get a short
// answer, anything else a default that says how to reach an agent. The example bot in
// examples/bot-server/ applies the same rules over HTTP.
//
// Matching is tolerant of how people type: whitespace of any kind (also inside a word, "결제
// 오류"), ASCII letter case and decomposed Hangul (jamo sequences, as some keyboards and macOS send
// them) do not matter. Invalid UTF-8 never matches a keyword and never fails. The answer never
// quotes the customer's text back, so it needs no escaping and cannot grow with the input.
//
// Pure: no I/O, no clock, no state; safe to call from any thread.
#pragma once

#include <string>
#include <string_view>

namespace aicc::chat {

// One bot answer, from any bot (built-in, HTTP reply or webhook).
struct BotAnswer {
  std::string bot_message{};  // the text shown to the customer; UTF-8, never empty
  bool need_human = false;    // true: the bot cannot help, a consult request should be raised
  std::string category{};     // a short code for agents' consoles ("refund", "payment_error", …);
                              // may be empty
};

// Categories of the built-in bot's answers.
inline constexpr std::string_view kCategoryPaymentError = "payment_error";
inline constexpr std::string_view kCategoryAgentRequest = "agent_request";
inline constexpr std::string_view kCategoryRefund = "refund";
inline constexpr std::string_view kCategoryDelivery = "delivery";
inline constexpr std::string_view kCategoryGreeting = "greeting";
inline constexpr std::string_view kCategoryGeneral = "general";

// The built-in bot's answer to one customer message. The first rule that matches wins, in this
// order: payment error, asking for a person, refund, delivery, greeting; else the default. The two
// rules that need a person come first, so "환불이 안 돼요, 상담원 연결해 주세요" reaches an agent.
// The answer is in English when `lang` is "en" or "en-…" (the customer's page language), else in
// Korean.
BotAnswer builtin_bot_answer(std::string_view message, std::string_view lang = "ko");

// True for "en" and "en-…" (any case): the language the built-in answers have besides Korean.
bool is_english(std::string_view lang);

// The message as the rules see it: whitespace (ASCII, NBSP, ideographic space, zero-width space
// and BOM) removed, ASCII letters lower-cased, Hangul jamo sequences composed into syllables,
// each invalid UTF-8 byte replaced by U+FFFD. Exposed for tests.
std::string normalize_for_rules(std::string_view message);

}  // namespace aicc::chat
