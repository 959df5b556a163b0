#include "chat/bot_rules.hpp"

#include <initializer_list>

#include "util/utf8.hpp"

namespace aicc::chat {
namespace {

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Hangul composition (Unicode section 3.12): leading consonant + vowel (+ trailing consonant)
// jamo make one precomposed syllable, so NFD input matches NFC keywords.
constexpr char32_t kSyllableBase = 0xAC00;
constexpr char32_t kLeadBase = 0x1100;
constexpr char32_t kVowelBase = 0x1161;
constexpr char32_t kTrailBase = 0x11A7;
constexpr char32_t kLeadCount = 19;
constexpr char32_t kVowelCount = 21;
constexpr char32_t kTrailCount = 28;
constexpr char32_t kSyllableCount = kLeadCount * kVowelCount * kTrailCount;

// The syllable made of `previous` followed by `cp`, or 0 when they do not combine.
char32_t compose_hangul(char32_t previous, char32_t cp) {
  if (previous >= kLeadBase && previous < kLeadBase + kLeadCount && cp >= kVowelBase &&
      cp < kVowelBase + kVowelCount) {
    return kSyllableBase + ((previous - kLeadBase) * kVowelCount + (cp - kVowelBase)) * kTrailCount;
  }
  const bool lv_syllable = previous >= kSyllableBase && previous < kSyllableBase + kSyllableCount &&
                           (previous - kSyllableBase) % kTrailCount == 0;
  if (lv_syllable && cp > kTrailBase && cp < kTrailBase + kTrailCount) {
    return previous + (cp - kTrailBase);
  }
  return 0;
}

bool contains_any(std::string_view text, std::initializer_list<std::string_view> keywords) {
  for (std::string_view keyword : keywords) {
    if (text.find(keyword) != std::string_view::npos) return true;
  }
  return false;
}

bool is_ascii_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// True when one of `words` stands alone (between non-letters) in `text`, ASCII case ignored.
// English greetings are short and hide inside other words ("this", "they"), so they are matched
// as words of the original text rather than inside the whitespace-free normalized form.
bool has_ascii_word(std::string_view text, std::initializer_list<std::string_view> words) {
  std::size_t i = 0;
  while (i < text.size()) {
    if (!is_ascii_letter(text[i])) {
      ++i;
      continue;
    }
    std::size_t end = i;
    std::string word;
    while (end < text.size() && is_ascii_letter(text[end])) {
      char c = text[end++];
      word += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    }
    for (std::string_view candidate : words) {
      if (word == candidate) return true;
    }
    i = end;
  }
  return false;
}

BotAnswer answer(std::string_view message, bool need_human, std::string_view category) {
  return BotAnswer{std::string(message), need_human, std::string(category)};
}

}  // namespace

std::string normalize_for_rules(std::string_view message) {
  std::string out;
  out.reserve(message.size());
  char32_t previous = 0;  // the last code point appended, for Hangul composition
  std::size_t previous_at = 0;
  std::size_t pos = 0;
  while (pos < message.size()) {
    char32_t cp = util::next_code_point(message, pos);
    if (util::is_space(cp)) continue;
    if (cp >= 'A' && cp <= 'Z') cp = cp - 'A' + 'a';
    if (char32_t syllable = compose_hangul(previous, cp)) {
      out.resize(previous_at);
      cp = syllable;
    }
    previous = cp;
    previous_at = out.size();
    append_utf8(out, cp);
  }
  return out;
}

bool is_english(std::string_view lang) {
  return lang.size() >= 2 && (lang[0] == 'e' || lang[0] == 'E') &&
         (lang[1] == 'n' || lang[1] == 'N') && (lang.size() == 2 || lang[2] == '-');
}

BotAnswer builtin_bot_answer(std::string_view message, std::string_view lang) {
  // The answers in Korean and English; the rules match either language's words.
  struct Texts {
    std::string_view empty, payment, human, refund, delivery, greeting, fallback;
  };
  static constexpr Texts kKorean{
      "문의하실 내용을 입력해 주세요.",
      "결제 오류는 상담사가 도와드리겠습니다. 잠시만 기다려 주세요.",
      "상담사를 연결해 드리겠습니다. 잠시만 기다려 주세요.",
      "환불은 마이페이지에서 가능합니다. 주문 내역에서 환불 신청을 눌러 주세요.",
      "배송 현황은 마이페이지의 주문 내역에서 확인하실 수 있습니다.",
      "안녕하세요! 무엇을 도와드릴까요? 환불, 배송, 결제 문의를 도와드릴 수 있습니다.",
      "문의해 주셔서 감사합니다. 상담사 연결을 원하시면 '상담원'이라고 입력해 주세요."};
  static constexpr Texts kEnglish{
      "Please type your question.",
      "An agent will help you with the payment error. Please wait a moment.",
      "Connecting you to an agent. Please wait a moment.",
      "You can ask for a refund in My Page: open your order history and press Request refund.",
      "You can follow your delivery in My Page, under your order history.",
      "Hello! How can I help? I can answer questions about refunds, deliveries and payments.",
      "Thank you for your question. To talk to a person, type 'agent'."};
  const Texts& say = is_english(lang) ? kEnglish : kKorean;
  const std::string text = normalize_for_rules(message);
  if (text.empty()) return answer(say.empty, false, kCategoryGeneral);
  if (contains_any(text, {"결제오류", "결제에러", "결제실패", "결제가안", "결제안돼", "결제안되",
                          "paymenterror", "paymentfailed"})) {
    return answer(say.payment, true, kCategoryPaymentError);
  }
  if (contains_any(text, {"상담원", "상담사", "사람", "직원", "담당자", "agent", "human"})) {
    return answer(say.human, true, kCategoryAgentRequest);
  }
  if (contains_any(text, {"환불", "refund"})) return answer(say.refund, false, kCategoryRefund);
  if (contains_any(text, {"배송", "택배", "delivery", "shipping"})) {
    return answer(say.delivery, false, kCategoryDelivery);
  }
  if (contains_any(text, {"안녕", "반가워", "반갑", "하이"}) ||
      has_ascii_word(message, {"hi", "hello", "hey"})) {
    return answer(say.greeting, false, kCategoryGreeting);
  }
  return answer(say.fallback, false, kCategoryGeneral);
}

}  // namespace aicc::chat
