#include "chat/canned_responses.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <set>

#include "util/utf8.hpp"

namespace aicc::chat {
namespace {

namespace json = boost::json;

util::Unexpected<CannedError> refuse(std::string message) {
  return util::unexpected(CannedError{400, "bad_request", std::move(message)});
}

// White space (any kind) and the C0/C1 controls: characters a shortcut typed after "/" cannot hold.
bool blank_or_control(char32_t cp) {
  return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || util::is_space(cp);
}

}  // namespace

bool valid_shortcut(std::string_view shortcut) {
  if (shortcut.empty() || !util::is_valid_utf8(shortcut)) return false;
  std::size_t chars = 0;
  for (std::size_t i = 0; i < shortcut.size();) {
    if (blank_or_control(util::next_code_point(shortcut, i))) return false;
    if (++chars > kMaxShortcutChars) return false;
  }
  return true;
}

util::Result<std::vector<CannedInput>, CannedError> parse_canned_responses(std::string_view body) {
  if (body.size() > kMaxCannedBody) {
    return util::unexpected(CannedError{413, "too_large", "the body is over 128 KiB"});
  }
  boost::system::error_code error;
  json::parse_options options;
  options.max_depth = 8;
  const json::value value = json::parse(body, error, {}, options);
  if (error || !value.is_object()) return refuse("the body must be a JSON object");
  const json::value* list = value.as_object().if_contains("responses");
  if (list == nullptr || !list->is_array()) return refuse("\"responses\" must be an array");
  const json::array& entries = list->as_array();
  if (entries.size() > kMaxCannedResponses) return refuse("at most 100 canned responses");

  std::vector<CannedInput> out;
  std::set<std::string, std::less<>> shortcuts;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const std::string where = "responses[" + std::to_string(i) + "]";
    if (!entries[i].is_object()) return refuse(where + " must be an object");
    const json::object& entry = entries[i].as_object();
    const json::value* shortcut = entry.if_contains("shortcut");
    const json::value* text = entry.if_contains("text");
    if (shortcut == nullptr || !shortcut->is_string())
      return refuse(where + ".shortcut must be a string");
    if (text == nullptr || !text->is_string()) return refuse(where + ".text must be a string");
    CannedInput input{std::string(shortcut->as_string()), std::string(text->as_string())};
    if (!valid_shortcut(input.shortcut)) {
      return refuse(
          where + ".shortcut must be 1 to 32 characters without whitespace or control characters");
    }
    if (input.text.empty() || input.text.size() > kMaxCannedTextBytes ||
        !util::is_valid_utf8(input.text)) {
      return refuse(where + ".text must be 1 to 1000 bytes of UTF-8");
    }
    if (!shortcuts.insert(input.shortcut).second) {
      return refuse(where + ".shortcut \"" + input.shortcut + "\" is already in the list");
    }
    out.push_back(std::move(input));
  }
  return out;
}

}  // namespace aicc::chat
