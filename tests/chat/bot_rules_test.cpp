#include "chat/bot_rules.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "util/utf8.hpp"

namespace aicc::chat {
namespace {

void expect_category(std::string_view message, std::string_view category, bool need_human) {
  const BotAnswer answer = builtin_bot_answer(message);
  EXPECT_EQ(answer.category, category) << "message: " << message;
  EXPECT_EQ(answer.need_human, need_human) << "message: " << message;
  EXPECT_FALSE(answer.bot_message.empty()) << "message: " << message;
  EXPECT_TRUE(util::is_valid_utf8(answer.bot_message)) << "message: " << message;
}

TEST(BotRulesTest, RefundGetsTheSelfServiceAnswer) {
  const BotAnswer answer = builtin_bot_answer("환불하고 싶어요");
  EXPECT_EQ(answer.category, kCategoryRefund);
  EXPECT_FALSE(answer.need_human);
  EXPECT_NE(answer.bot_message.find("마이페이지"), std::string::npos);
}

// The customer's page language picks the answer's language; the rules and categories are the same.
TEST(BotRulesTest, AnswersInEnglishForAnEnglishPageAndInKoreanOtherwise) {
  for (std::string_view lang : {"en", "en-US", "EN-gb"}) {
    const BotAnswer refund = builtin_bot_answer("I want a refund", lang);
    EXPECT_EQ(refund.category, kCategoryRefund) << lang;
    EXPECT_NE(refund.bot_message.find("My Page"), std::string::npos) << lang;
    EXPECT_EQ(builtin_bot_answer("환불하고 싶어요", lang).bot_message, refund.bot_message) << lang;
    const BotAnswer human = builtin_bot_answer("agent please", lang);
    EXPECT_TRUE(human.need_human);
    EXPECT_EQ(human.bot_message, "Connecting you to an agent. Please wait a moment.");
    EXPECT_EQ(builtin_bot_answer("   ", lang).bot_message, "Please type your question.");
  }
  for (std::string_view lang : {"ko", "", "fr", "e", "english", "enx"}) {
    EXPECT_NE(builtin_bot_answer("refund", lang).bot_message.find("마이페이지"), std::string::npos)
        << lang;
  }
  EXPECT_TRUE(is_english("en"));
  EXPECT_FALSE(is_english("ko"));
}

TEST(BotRulesTest, PaymentErrorHandsOverToAnAgent) {
  const BotAnswer answer = builtin_bot_answer("결제오류가 났어요");
  EXPECT_EQ(answer.category, kCategoryPaymentError);
  EXPECT_TRUE(answer.need_human);
  EXPECT_NE(answer.bot_message.find("상담사"), std::string::npos);
}

TEST(BotRulesTest, PaymentErrorMatchesHowPeopleTypeIt) {
  // The seed's own flow has the customer type "결제 오류" with a space.
  for (std::string_view message :
       {"결제 오류", "결제\t오류", "결제\u3000오류", "결 제 오 류", "결제\u200B오류", "결제 에러",
        "결제가 안 돼요", "결제 안돼요", "결제 실패했어요", "Payment Error!"}) {
    expect_category(message, kCategoryPaymentError, true);
  }
}

TEST(BotRulesTest, AskingForAPersonHandsOverToAnAgent) {
  for (std::string_view message :
       {"상담원 연결해 주세요", "상담사랑 얘기하고 싶어요", "사람이랑 통화하고 싶어요",
        "직원 불러 주세요", "AGENT please", "i want a Human"}) {
    expect_category(message, kCategoryAgentRequest, true);
  }
}

TEST(BotRulesTest, NeedingAPersonWinsOverSelfService) {
  expect_category("환불이 안 돼요, 상담원 연결해 주세요", kCategoryAgentRequest, true);
  expect_category("환불하려는데 결제오류가 나요", kCategoryPaymentError, true);
}

TEST(BotRulesTest, DeliveryQuestionGetsTheOrderHistoryAnswer) {
  expect_category("배송 언제 와요?", kCategoryDelivery, false);
  expect_category("택배가 안 와요", kCategoryDelivery, false);
  EXPECT_NE(builtin_bot_answer("배송 조회").bot_message.find("주문 내역"), std::string::npos);
}

TEST(BotRulesTest, GreetingGetsAGreeting) {
  for (std::string_view message :
       {"안녕하세요", "안녕", "반갑습니다", "Hello!", "hi", "HEY there"}) {
    expect_category(message, kCategoryGreeting, false);
  }
}

TEST(BotRulesTest, EnglishGreetingsMatchOnlyAsWords) {
  for (std::string_view message : {"this is strange", "theyre late", "hindsight", "shell"}) {
    expect_category(message, kCategoryGeneral, false);
  }
}

TEST(BotRulesTest, AnythingElseGetsADefaultThatOffersAnAgent) {
  const BotAnswer answer = builtin_bot_answer("영업시간이 어떻게 되나요?");
  EXPECT_EQ(answer.category, kCategoryGeneral);
  EXPECT_FALSE(answer.need_human);
  EXPECT_NE(answer.bot_message.find("상담원"), std::string::npos);
  // Typing what the default suggests reaches an agent.
  expect_category("상담원", kCategoryAgentRequest, true);
}

TEST(BotRulesTest, EmptyOrBlankMessageAsksForText) {
  for (std::string_view message : {"", " ", "\t\r\n", "\u3000\u00A0\uFEFF"}) {
    expect_category(message, kCategoryGeneral, false);
    EXPECT_EQ(builtin_bot_answer(message).bot_message, "문의하실 내용을 입력해 주세요.");
  }
}

TEST(BotRulesTest, DecomposedHangulMatchesLikeComposed) {
  // "환불" and "결제오류" as NFD jamo sequences.
  const std::string refund = "\u1112\u116A\u11AB\u1107\u116E\u11AF";
  const std::string payment_error = "\u1100\u1167\u11AF\u110C\u1166\u110B\u1169\u1105\u1172";
  EXPECT_EQ(normalize_for_rules(refund), "환불");
  EXPECT_EQ(normalize_for_rules(payment_error), "결제오류");
  expect_category(refund + " 해 주세요", kCategoryRefund, false);
  expect_category(payment_error, kCategoryPaymentError, true);
}

TEST(BotRulesTest, NormalizationDropsSpacesAndLowercasesAscii) {
  EXPECT_EQ(normalize_for_rules("  A b\tC\r\n"), "abc");
  EXPECT_EQ(normalize_for_rules("환 불\u2003Ä"), "환불Ä");  // only ASCII letters change case
}

TEST(BotRulesTest, InvalidUtf8NeverFailsAndNeverMatches) {
  EXPECT_EQ(normalize_for_rules("a\xFF"
                                "b"),
            "a\uFFFDb");
  EXPECT_EQ(normalize_for_rules("\xC0\xAF"), "\uFFFD\uFFFD");            // overlong '/'
  EXPECT_EQ(normalize_for_rules("\xED\xA0\x80"), "\uFFFD\uFFFD\uFFFD");  // surrogate
  EXPECT_EQ(normalize_for_rules("\xEA\xB2"), "\uFFFD\uFFFD");            // truncated
  expect_category("\xFF\xFE환불", kCategoryRefund, false);
  // "환" with its last byte cut off does not make "환불".
  expect_category("\xED\x99불", kCategoryGeneral, false);
  expect_category(std::string("\x00\x01\x02", 3), kCategoryGeneral, false);
}

TEST(BotRulesTest, AnswerNeverQuotesTheCustomer) {
  const std::string hostile = "<script>alert(1)</script> \"quoted\" 영업시간";
  const BotAnswer answer = builtin_bot_answer(hostile);
  EXPECT_EQ(answer.bot_message.find("<script>"), std::string::npos);
  EXPECT_EQ(answer.bot_message.find("quoted"), std::string::npos);
}

TEST(BotRulesTest, HugeMessageIsAnsweredNormally) {
  std::string message(1 << 20, 'a');
  message += "환불";
  expect_category(message, kCategoryRefund, false);
  const std::string spaces(1 << 20, ' ');
  expect_category(spaces, kCategoryGeneral, false);
}

TEST(BotRulesTest, EveryAnswerIsShortPoliteUtf8) {
  for (std::string_view message : {"", "환불", "결제오류", "상담원", "배송", "안녕", "기타"}) {
    const BotAnswer answer = builtin_bot_answer(message);
    EXPECT_TRUE(util::is_valid_utf8(answer.bot_message));
    EXPECT_LT(answer.bot_message.size(), 200u);
    // Polite endings only: "-니다" or "-세요".
    const bool polite = answer.bot_message.find("니다") != std::string::npos ||
                        answer.bot_message.find("세요") != std::string::npos;
    EXPECT_TRUE(polite) << answer.bot_message;
  }
}

}  // namespace
}  // namespace aicc::chat
