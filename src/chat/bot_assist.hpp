// What a bot may do besides answering customers (protocol 2), as wire shapes (pure; no I/O):
//
// - `GET {bot.url}/api/capabilities` -> `{protocol, streaming?, summary?, suggestions?}`: what the
//   bot says it supports; a bot without the endpoint (404) speaks protocol 1 and is asked for
//   nothing optional.
// - `POST {bot.url}/api/summary` with the conversation -> `{summary, category?, mood?}`: a handoff
//   summary for the agent who takes the customer over.
// - `POST {bot.url}/api/suggestions` with a room's recent messages -> `{suggestions: [..]}`:
//   replies the room's agent could send next (never sent to the customer by the server).
//
// The built-in demo bot has all three, by rules, so the embedded default shows them.
// Replies are bot input: every limit is checked, and anything out of shape is refused or dropped
// field by field, never passed on.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "chat/bot_protocol.hpp"
#include "util/result.hpp"

namespace aicc::chat {

inline constexpr std::size_t kBotSummaryLimit = 1000;       // bytes of a summary
inline constexpr std::size_t kBotSuggestionLimit = 1000;    // bytes of one suggested reply
inline constexpr std::size_t kBotSuggestionsKept = 3;       // suggestions passed on, the first
inline constexpr std::size_t kBotAssistMessages = 50;       // messages sent for a summary
inline constexpr std::size_t kBotAssistTextBudget = 32768;  // bytes of their text, newest kept

struct BotCapabilities {
  int protocol = 1;
  bool streaming = false;
  bool summary = false;
  bool suggestions = false;
};
// A 2xx JSON object; anything else (a 404 included) is protocol 1 with nothing optional.
BotCapabilities parse_capabilities(int http_status, std::string_view body);

// One message of the conversation as the bot is told it: `from` is "customer", "bot" or "agent",
// the text already redacted for the bot (chat/personal_data.hpp).
struct BotTurn {
  std::string from;
  std::string text;
};

// The moods a summary may name; anything else is dropped.
bool is_known_mood(std::string_view mood);  // "calm", "neutral", "frustrated", "angry"

struct BotSummary {
  std::string summary;   // 1..kBotSummaryLimit bytes
  std::string category;  // may be empty
  std::string mood;      // one of the known moods, or empty
};

// The bodies sent: `{conversationId, customerId, lang?, messages: [{from, text}]}` (the newest
// kBotAssistMessages within kBotAssistTextBudget bytes), plus `roomId` for suggestions.
std::string make_summary_request(std::string_view conversation_id, std::string_view customer_id,
                                 std::string_view lang, const std::vector<BotTurn>& turns);
std::string make_suggestion_request(std::string_view room_id, std::string_view conversation_id,
                                    std::string_view customer_id, std::string_view lang,
                                    const std::vector<BotTurn>& turns);

util::Result<BotSummary, BotBodyProblem> parse_summary_reply(int http_status,
                                                             std::string_view body);
// At most kBotSuggestionsKept non-blank strings of at most kBotSuggestionLimit bytes, in order;
// others are dropped. An empty list is a valid answer (nothing to suggest).
util::Result<std::vector<std::string>, BotBodyProblem> parse_suggestions_reply(
    int http_status, std::string_view body);

// The built-in demo bot's: the category of the customer's latest message by its rules, a summary
// naming it and quoting (shortened) what the customer asked, a mood from a few words and marks;
// and two or three replies for the agent fitting the category. In English for an English `lang`.
BotSummary builtin_summary(const std::vector<BotTurn>& turns, std::string_view lang);
std::vector<std::string> builtin_suggestions(const std::vector<BotTurn>& turns,
                                             std::string_view lang);

}  // namespace aicc::chat
