#include "center/history_query.hpp"

#include <charconv>

#include "util/utf8.hpp"

namespace aicc::center {
namespace {

constexpr std::size_t kMaxFilterIdBytes = 128;
constexpr std::size_t kMaxWordBytes = 64;

bool whole_number(std::string_view text, std::int64_t& out) {
  if (text.empty() || text.size() > 19) return false;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out);
  return error == std::errc{} && end == text.data() + text.size() && out >= 0;
}

// Printable UTF-8 of at most `limit` bytes: ids and categories go into SQL parameters and CSV.
bool plain_text(std::string_view text, std::size_t limit) {
  if (text.size() > limit || !util::is_valid_utf8(text)) return false;
  for (const char c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return false;
  }
  return true;
}

// The words of q: split at white space (any Unicode space, not only ASCII).
std::variant<std::vector<std::string>, std::string> words_of(std::string_view q) {
  if (q.size() > kMaxSearchBytes) return "q must be at most 200 bytes";
  if (!util::is_valid_utf8(q)) return "q must be UTF-8";
  std::vector<std::string> words;
  std::string word;
  auto finish = [&]() -> bool {
    if (word.empty()) return true;
    if (word.size() > kMaxWordBytes || words.size() == kMaxSearchWords) return false;
    words.push_back(std::move(word));
    word.clear();
    return true;
  };
  for (std::size_t pos = 0; pos < q.size();) {
    const std::size_t start = pos;
    const char32_t cp = util::next_code_point(q, pos);
    if (cp < 0x20 || cp == 0x7f) return "q must not hold control characters";
    if (util::is_space(cp)) {
      if (!finish()) return "q holds at most 8 words of at most 64 bytes";
    } else {
      word.append(q.substr(start, pos - start));
    }
  }
  if (!finish()) return "q holds at most 8 words of at most 64 bytes";
  return words;
}

}  // namespace

std::variant<chat::RoomQuery, std::string> parse_history_query(
    const std::map<std::string, std::string>& parameters) {
  auto get = [&](const char* name) -> std::string_view {
    const auto found = parameters.find(name);
    return found == parameters.end() ? std::string_view() : std::string_view(found->second);
  };
  chat::RoomQuery query;
  query.limit = kDefaultHistoryPage;
  std::int64_t number = 0;
  for (const auto& [name, target] : {std::pair{"from", &query.from}, {"to", &query.to}}) {
    if (get(name).empty()) continue;
    if (!whole_number(get(name), number))
      return std::string(name) + " must be a time in unix milliseconds";
    *target = number;
  }
  for (const auto& [name, target] : {std::pair{"agentId", &query.agent_id},
                                     {"customerId", &query.customer_id},
                                     {"category", &query.category}}) {
    if (!plain_text(get(name), kMaxFilterIdBytes))
      return std::string(name) + " must be printable UTF-8 of at most 128 bytes";
    *target = std::string(get(name));
  }
  if (get("state") == "open") query.state = chat::RoomQuery::State::kOpen;
  if (get("state") == "closed") query.state = chat::RoomQuery::State::kClosed;
  for (const auto& [name, target] :
       {std::pair{"minRating", &query.min_score}, {"maxRating", &query.max_score}}) {
    if (get(name).empty()) continue;
    if (!whole_number(get(name), number) || number < chat::kMinScore || number > chat::kMaxScore) {
      return std::string(name) + " must be a rating from 1 to 5";
    }
    *target = static_cast<int>(number);
  }
  if (query.min_score != 0 && query.max_score != 0 && query.min_score > query.max_score)
    return "minRating must not be above maxRating";
  query.unrated = get("unrated") == "1" || get("unrated") == "true";
  if (query.unrated && (query.min_score != 0 || query.max_score != 0))
    return "unrated cannot be asked with minRating or maxRating";
  auto words = words_of(get("q"));
  if (auto* refusal = std::get_if<std::string>(&words)) return std::move(*refusal);
  query.words = std::move(std::get<std::vector<std::string>>(words));
  if (const std::string_view before = get("before"); !before.empty()) {
    const std::size_t colon = before.find(':');
    if (colon == std::string_view::npos || !whole_number(before.substr(0, colon), number) ||
        !plain_text(before.substr(colon + 1), kMaxFilterIdBytes) || colon + 1 == before.size()) {
      return "before must be the next cursor of a previous page";
    }
    query.before = std::pair{number, std::string(before.substr(colon + 1))};
  }
  if (!get("limit").empty()) {
    if (!whole_number(get("limit"), number) || number < 1 ||
        number > static_cast<std::int64_t>(kMaxHistoryPage)) {
      return "limit must be 1 to 100";
    }
    query.limit = static_cast<std::size_t>(number);
  }
  return query;
}

std::string history_cursor(const chat::RoomRecord& last) {
  return std::to_string(last.created_at) + ":" + last.id;
}

}  // namespace aicc::center
