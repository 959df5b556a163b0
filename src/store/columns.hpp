// What both chat store adapters (SQLite, PostgreSQL) read and bind the same way: LIMIT values and
// the columns that hold an enum's to_string().
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "chat/chat_store.hpp"
#include "chat/routing.hpp"
#include "util/utf8.hpp"

namespace aicc::store {

// LIMIT takes a signed 64-bit number.
inline std::int64_t limit_value(std::size_t limit) {
  constexpr auto kMax = static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max());
  return static_cast<std::int64_t>(std::min(limit, kMax));
}

inline constexpr std::array kAuditEvents = {
    chat::AuditEvent::kOffer,      chat::AuditEvent::kAccept,       chat::AuditEvent::kReject,
    chat::AuditEvent::kAutoAssign, chat::AuditEvent::kNoAgent,      chat::AuditEvent::kRequeue,
    chat::AuditEvent::kTransfer,   chat::AuditEvent::kCancel,       chat::AuditEvent::kClose,
    chat::AuditEvent::kRefusal,    chat::AuditEvent::kLeaveMessage, chat::AuditEvent::kErasure,
};
inline constexpr std::array kVerdicts = {
    chat::CandidateVerdict::kPicked,       chat::CandidateVerdict::kOffline,
    chat::CandidateVerdict::kDisconnected, chat::CandidateVerdict::kRejected,
    chat::CandidateVerdict::kAway,         chat::CandidateVerdict::kAtCapacity,
    chat::CandidateVerdict::kBusier,       chat::CandidateVerdict::kIdleShorter,
    chat::CandidateVerdict::kLostTie,
};

inline constexpr std::array kNoteKinds = {chat::NoteKind::kNote, chat::NoteKind::kTransfer};

inline constexpr std::array kAgentStatuses = {chat::AgentStatus::kAvailable,
                                              chat::AgentStatus::kAway};

// The value whose to_string() is `text`. The code keeps other values out, so only a hand-edited
// database gets to the throw, which names the adapter (`store`) and the column (`what`).
template <class Enum, std::size_t N>
Enum parse_column(const std::array<Enum, N>& values, const std::string& text,
                  std::string_view store, std::string_view what) {
  for (const Enum value : values) {
    if (chat::to_string(value) == text) return value;
  }
  throw std::runtime_error(std::string(store) + ": unknown " + std::string(what) + " '" + text +
                           "'");
}

// An attachment id, which the SQLite store names a file after: server-made, so anything but
// letters, digits, '_' and '-' (at most 128) is a bug, refused before it reaches a path.
inline void require_file_id(std::string_view id) {
  const bool valid =
      !id.empty() && id.size() <= 128 && std::all_of(id.begin(), id.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '_' || c == '-';
      });
  if (!valid)
    throw std::runtime_error("attachment id is not a server-made one: " + std::string(id));
}

// History search words. A word of three characters or more is matched through a trigram index
// where the adapter has one; a shorter one (frequent in Korean: "환불", "결제") cannot be, so it is
// matched by a scan of the candidate rooms' messages.
inline constexpr std::size_t kTrigram = 3;

inline std::size_t code_points(std::string_view text) {
  std::size_t count = 0;
  for (std::size_t pos = 0; pos < text.size(); ++count) util::next_code_point(text, pos);
  return count;
}

// The words in index order: those the trigram index can match, then the others.
struct SearchWords {
  std::vector<std::string> indexed;
  std::vector<std::string> scanned;
};
inline SearchWords split_search_words(const std::vector<std::string>& words) {
  SearchWords split;
  for (const std::string& word : words) {
    (code_points(word) >= kTrigram ? split.indexed : split.scanned).push_back(word);
  }
  return split;
}

// A LIKE pattern finding `word` anywhere, with '\' as the escape character.
inline std::string like_anywhere(std::string_view word) {
  std::string pattern = "%";
  for (const char c : word) {
    if (c == '%' || c == '_' || c == '\\') pattern += '\\';
    pattern += c;
  }
  pattern += '%';
  return pattern;
}

}  // namespace aicc::store
