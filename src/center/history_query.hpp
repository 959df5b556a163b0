// The history's filters as a page or an export asks for them (GET /api/history/rooms and
// /api/history/rooms.csv query parameters, already %-decoded), checked and turned into the store's
// chat::RoomQuery. Every value is bounded; a refusal says which parameter is wrong and why.
#pragma once

#include <map>
#include <string>
#include <variant>

#include "chat/chat_store.hpp"

namespace aicc::center {

inline constexpr std::size_t kMaxSearchBytes = 200;  // q, bytes of UTF-8
inline constexpr std::size_t kMaxSearchWords = 8;    // words of q; each at most 64 bytes
inline constexpr std::size_t kMaxHistoryPage = 100;  // limit
inline constexpr std::size_t kDefaultHistoryPage = 25;

// Parameters: from, to (unix ms; from inclusive, to exclusive), agentId, customerId, category
// (at most 128 bytes each), state (open | closed; anything else: both), minRating, maxRating
// (1..5), unrated (1), q (words separated by white space, each to be found in the room's
// messages), before (the `next` cursor of the previous page), limit (1..100, default 25).
// Unknown parameters are not looked at. Returns the query or the refusal's message.
std::variant<chat::RoomQuery, std::string> parse_history_query(
    const std::map<std::string, std::string>& parameters);

// The names parse_history_query reads, for the HTTP layer to collect.
inline constexpr const char* kHistoryParameters[] = {"from",     "to",    "agentId",   "customerId",
                                                     "category", "state", "minRating", "maxRating",
                                                     "unrated",  "q",     "before",    "limit"};

// The `next` cursor of a page whose last room is `last`: "<createdAt ms>:<room id>".
std::string history_cursor(const chat::RoomRecord& last);

}  // namespace aicc::center
