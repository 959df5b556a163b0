// An agent's canned responses: short texts a console inserts by shortcut ("/refund" -> the refund
// policy), kept per agent in the store (ChatStore::canned_responses).
//
// This module is the body check of `PUT /api/agent/canned-responses`: the body arrives from the
// network and is expected to be bad, so every limit is checked here, before anything is stored,
// and every refusal is a value naming the HTTP status it deserves. Pure: no I/O, no clock.
//
// Limits: a body of at most 128 KiB; at most 100 entries; a shortcut of 1 to 32 characters (code
// points) with no whitespace or control character, unique within the list (case-sensitive); a
// text of 1 to 1000 bytes of UTF-8. Entries may carry other fields (an `id` from a GET sent back):
// they are ignored, since ids are made by the server.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.hpp"

namespace aicc::chat {

inline constexpr std::size_t kMaxCannedBody = 128 * 1024;  // bytes of the PUT body
inline constexpr std::size_t kMaxCannedResponses = 100;    // entries per agent
inline constexpr std::size_t kMaxShortcutChars = 32;       // code points
inline constexpr std::size_t kMaxCannedTextBytes = 1000;   // UTF-8 bytes

// One canned response as the store keeps it.
struct CannedResponse {
  std::string id{};        // server-made, unique over all agents
  std::string shortcut{};  // as checked by parse_canned_responses
  std::string text{};      // idem
};

// One entry of a PUT body, checked; the id is made when it is stored.
struct CannedInput {
  std::string shortcut{};
  std::string text{};
};

struct CannedError {
  unsigned status = 400;  // 400, or 413 for a body over kMaxCannedBody
  std::string code{};     // "bad_request" or "too_large"
  std::string message{};  // for people: names the entry and the limit
};

// The entries of a `{"responses":[{shortcut, text}, ...]}` body, in the order given.
util::Result<std::vector<CannedInput>, CannedError> parse_canned_responses(std::string_view body);

// A shortcut as the limits above allow it.
bool valid_shortcut(std::string_view shortcut);

}  // namespace aicc::chat
