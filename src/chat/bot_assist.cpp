#include "chat/bot_assist.hpp"

#include <algorithm>
#include <array>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <system_error>

#include "chat/bot_rules.hpp"
#include "util/utf8.hpp"

namespace aicc::chat {
namespace {

namespace json = boost::json;
using util::unexpected;

constexpr std::size_t kCategoryLimit = 64;  // bytes of a summary's category
constexpr std::size_t kQuoteLimit = 120;    // bytes of the customer's words in a built-in summary

BotBodyProblem assist_problem(BotBodyError code, std::string message) {
  return BotBodyProblem{code, std::move(message)};
}

// A 2xx reply as a JSON object, within the bot body limits.
util::Result<json::object, BotBodyProblem> reply_object(int http_status, std::string_view body,
                                                        std::string_view what) {
  if (http_status < 200 || http_status > 299) {
    return unexpected(assist_problem(
        BotBodyError::kBadStatus, std::string(what) + " answered " + std::to_string(http_status)));
  }
  if (body.size() > kBotBodyLimit) {
    return unexpected(
        assist_problem(BotBodyError::kTooLarge, std::string(what) + " is over 65536 bytes"));
  }
  if (!util::is_valid_utf8(body)) {
    return unexpected(assist_problem(BotBodyError::kBadUtf8, std::string(what) + " is not UTF-8"));
  }
  json::parse_options options;
  options.max_depth = 8;
  std::error_code ec;
  json::value value = json::parse(body, ec, json::storage_ptr(), options);
  if (ec)
    return unexpected(assist_problem(BotBodyError::kBadJson, std::string(what) + " is not JSON"));
  if (!value.is_object()) {
    return unexpected(
        assist_problem(BotBodyError::kNotObject, std::string(what) + " is not an object"));
  }
  return std::move(value.as_object());
}

bool is_blank_text(std::string_view text) {
  return text.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

// A category as a code: lower-case ASCII letters, digits and '_' (others become '_').
std::string category_code(std::string_view text) {
  std::string out;
  for (const char c : text.substr(0, kCategoryLimit)) {
    const char lower = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    const bool keep = (lower >= 'a' && lower <= 'z') || (lower >= '0' && lower <= '9');
    out += keep ? lower : '_';
  }
  return out;
}

// `text` cut to at most `limit` bytes, at a character boundary.
std::string shortened_text(std::string_view text, std::size_t limit) {
  if (text.size() <= limit) return std::string(text);
  std::size_t end = limit;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return std::string(text.substr(0, end)) + "…";
}

json::array turns_json(const std::vector<BotTurn>& turns) {
  // The newest turns within the budget, sent oldest first.
  std::size_t first = turns.size();
  std::size_t bytes = 0;
  while (first > 0 && turns.size() - first < kBotAssistMessages &&
         bytes + turns[first - 1].text.size() <= kBotAssistTextBudget) {
    --first;
    bytes += turns[first].text.size();
  }
  json::array out;
  for (std::size_t i = first; i < turns.size(); ++i) {
    out.push_back(json::object{{"from", turns[i].from}, {"text", turns[i].text}});
  }
  return out;
}

const BotTurn* last_from_customer(const std::vector<BotTurn>& turns) {
  for (auto it = turns.rbegin(); it != turns.rend(); ++it) {
    if (it->from == "customer") return &*it;
  }
  return nullptr;
}

// The built-in categories as words, for the built-in summary's sentence.
std::string_view category_words(std::string_view category, bool english) {
  struct Words {
    std::string_view category, korean, english;
  };
  static constexpr Words kWords[] = {
      {kCategoryRefund, "환불", "a refund"},
      {kCategoryPaymentError, "결제 오류", "a payment error"},
      {kCategoryDelivery, "배송", "a delivery"},
      {kCategoryAgentRequest, "상담사 연결", "talking to an agent"},
      {kCategoryGreeting, "인사", "a greeting"},
  };
  for (const Words& words : kWords) {
    if (words.category == category) return english ? words.english : words.korean;
  }
  return english ? "a general question" : "일반 문의";
}

}  // namespace

BotCapabilities parse_capabilities(int http_status, std::string_view body) {
  auto object = reply_object(http_status, body, "the capabilities");
  if (!object) return {};
  BotCapabilities capabilities;
  const json::value* protocol = object->if_contains("protocol");
  if (protocol && protocol->is_int64() && protocol->get_int64() >= 2 &&
      protocol->get_int64() <= 1000) {
    capabilities.protocol = static_cast<int>(protocol->get_int64());
  }
  if (capabilities.protocol < 2) return capabilities;
  const auto flag = [&](std::string_view name) {
    const json::value* value = object->if_contains(name);
    return value && value->is_bool() && value->get_bool();
  };
  capabilities.streaming = flag("streaming");
  capabilities.summary = flag("summary");
  capabilities.suggestions = flag("suggestions");
  return capabilities;
}

bool is_known_mood(std::string_view mood) {
  return mood == "calm" || mood == "neutral" || mood == "frustrated" || mood == "angry";
}

std::string make_summary_request(std::string_view conversation_id, std::string_view customer_id,
                                 std::string_view lang, const std::vector<BotTurn>& turns) {
  json::object body{{"conversationId", conversation_id},
                    {"customerId", customer_id},
                    {"messages", turns_json(turns)}};
  if (!lang.empty()) body["lang"] = lang;
  return json::serialize(body);
}

std::string make_suggestion_request(std::string_view room_id, std::string_view conversation_id,
                                    std::string_view customer_id, std::string_view lang,
                                    const std::vector<BotTurn>& turns) {
  json::object body{{"roomId", room_id},
                    {"conversationId", conversation_id},
                    {"customerId", customer_id},
                    {"messages", turns_json(turns)}};
  if (!lang.empty()) body["lang"] = lang;
  return json::serialize(body);
}

util::Result<BotSummary, BotBodyProblem> parse_summary_reply(int http_status,
                                                             std::string_view body) {
  auto object = reply_object(http_status, body, "the summary");
  if (!object) return unexpected(object.error());
  const json::value* summary = object->if_contains("summary");
  if (summary == nullptr || !summary->is_string() || is_blank_text(summary->get_string())) {
    return unexpected(
        assist_problem(BotBodyError::kMissingField, "summary must be a non-blank string"));
  }
  if (summary->get_string().size() > kBotSummaryLimit) {
    return unexpected(assist_problem(BotBodyError::kBadValue, "summary is longer than 1000 bytes"));
  }
  BotSummary out;
  out.summary = std::string(summary->get_string());
  // The optional fields are dropped, one by one, when out of shape: the summary still helps.
  if (const json::value* category = object->if_contains("category");
      category && category->is_string()) {
    out.category = category_code(category->get_string());
  }
  if (const json::value* mood = object->if_contains("mood");
      mood && mood->is_string() && is_known_mood(mood->get_string())) {
    out.mood = std::string(mood->get_string());
  }
  return out;
}

util::Result<std::vector<std::string>, BotBodyProblem> parse_suggestions_reply(
    int http_status, std::string_view body) {
  auto object = reply_object(http_status, body, "the suggestions");
  if (!object) return unexpected(object.error());
  const json::value* list = object->if_contains("suggestions");
  if (list == nullptr || !list->is_array()) {
    return unexpected(assist_problem(BotBodyError::kMissingField, "suggestions must be an array"));
  }
  std::vector<std::string> out;
  for (const json::value& item : list->get_array()) {
    if (out.size() == kBotSuggestionsKept) break;
    if (!item.is_string() || is_blank_text(item.get_string()) ||
        item.get_string().size() > kBotSuggestionLimit) {
      continue;
    }
    out.emplace_back(item.get_string());
  }
  return out;
}

BotSummary builtin_summary(const std::vector<BotTurn>& turns, std::string_view lang) {
  const bool english = is_english(lang);
  const BotTurn* asked = last_from_customer(turns);
  BotSummary out;
  const std::string question = asked ? shortened_text(asked->text, kQuoteLimit) : std::string();
  out.category = asked ? builtin_bot_answer(asked->text, lang).category : std::string("general");
  std::size_t customer_turns = 0;
  std::string all;
  for (const BotTurn& turn : turns) {
    if (turn.from != "customer") continue;
    ++customer_turns;
    all += turn.text;
    all += '\n';
  }
  const std::string words = normalize_for_rules(all);
  const auto has = [&](std::initializer_list<std::string_view> keys) {
    return std::any_of(keys.begin(), keys.end(),
                       [&](std::string_view key) { return words.find(key) != std::string::npos; });
  };
  if (has({"화나", "화가", "짜증", "최악", "angry", "furious", "terrible"})) {
    out.mood = "angry";
  } else if (has({"왜", "아직", "언제", "답답", "!!", "??", "why", "still", "again"})) {
    out.mood = "frustrated";
  } else {
    out.mood = customer_turns > 0 ? "neutral" : "calm";
  }
  if (english) {
    out.summary = "The customer asked about " + std::string(category_words(out.category, true)) +
                  " in " + std::to_string(customer_turns) + " message(s)" +
                  (question.empty() ? std::string(".") : ", last: \"" + question + "\"");
  } else {
    out.summary = "고객이 " + std::string(category_words(out.category, false)) + " 관련으로 " +
                  std::to_string(customer_turns) + "건 문의함" +
                  (question.empty() ? std::string(".") : ". 마지막 문의: \"" + question + "\"");
  }
  if (out.summary.size() > kBotSummaryLimit) out.summary = shortened_text(out.summary, 990);
  return out;
}

std::vector<std::string> builtin_suggestions(const std::vector<BotTurn>& turns,
                                             std::string_view lang) {
  const bool english = is_english(lang);
  const BotTurn* asked = last_from_customer(turns);
  const std::string category =
      asked ? builtin_bot_answer(asked->text, lang).category : std::string("general");
  if (category == kCategoryRefund) {
    if (english)
      return {"Could you tell me your order number? I will check the refund for you.",
              "Refunds reach your account within 3 to 5 business days once approved."};
    return {"주문번호를 알려 주시면 환불 진행 상황을 확인해 드리겠습니다.",
            "환불은 승인 후 영업일 기준 3~5일 안에 입금됩니다."};
  }
  if (category == kCategoryPaymentError) {
    if (english)
      return {"I am sorry for the trouble. Which payment method did you use?",
              "Could you tell me the error message you saw, and when it happened?"};
    return {"불편을 드려 죄송합니다. 어떤 결제 수단을 이용하셨나요?",
            "보이신 오류 메시지와 발생 시각을 알려 주시겠어요?"};
  }
  if (category == kCategoryDelivery) {
    if (english)
      return {"Could you tell me your order number? I will look up the delivery.",
              "Your parcel is on its way; I will send you the tracking link."};
    return {"주문번호를 알려 주시면 배송 상황을 확인해 드리겠습니다.",
            "상품은 배송 중입니다. 운송장 링크를 보내 드리겠습니다."};
  }
  if (english)
    return {"Hello, I am here to help. Could you tell me a little more?",
            "Thank you for waiting. Let me check that for you."};
  return {"안녕하세요, 상담사입니다. 조금 더 자세히 말씀해 주시겠어요?",
          "기다려 주셔서 감사합니다. 바로 확인해 드리겠습니다."};
}

}  // namespace aicc::chat
