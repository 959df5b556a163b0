// What a bot says it can do, its handoff summaries and suggested replies: the wire shapes both
// ways, hostile replies refused or trimmed field by field, and the built-in bot's own.
#include "chat/bot_assist.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <string>
#include <vector>

namespace aicc::chat {
namespace {

namespace json = boost::json;

TEST(BotCapabilities, OnlyASecondProtocolObjectEnablesAnything) {
  const auto full = parse_capabilities(
      200, R"({"protocol":2,"streaming":true,"summary":true,"suggestions":true})");
  EXPECT_EQ(full.protocol, 2);
  EXPECT_TRUE(full.streaming && full.summary && full.suggestions);
  const auto some = parse_capabilities(200, R"({"protocol":2,"summary":true,"suggestions":"yes"})");
  EXPECT_TRUE(some.summary);
  EXPECT_FALSE(some.suggestions);  // not a boolean: not said
  for (const auto& [status, body] : std::vector<std::pair<int, std::string>>{
           {404, R"({"protocol":2,"summary":true})"},
           {200, R"({"summary":true})"},
           {200, R"({"protocol":1,"summary":true})"},
           {200, R"({"protocol":"2","summary":true})"},
           {200, "[1,2]"},
           {200, "not json"},
           {200, std::string(70000, ' ')},
           {200, "{\"protocol\":2,\"summary\":true,\"x\":\"\xff\"}"}}) {
    const auto capabilities = parse_capabilities(status, body);
    EXPECT_EQ(capabilities.protocol, 1) << body.substr(0, 60);
    EXPECT_FALSE(capabilities.summary || capabilities.suggestions || capabilities.streaming);
  }
}

TEST(BotSummary, KeepsTheSummaryAndDropsWhatIsOutOfShape) {
  auto summary = parse_summary_reply(
      200, R"({"summary":"Wants a refund","category":"Refund Request!","mood":"frustrated"})");
  ASSERT_TRUE(summary);
  EXPECT_EQ(summary->summary, "Wants a refund");
  EXPECT_EQ(summary->category, "refund_request_");
  EXPECT_EQ(summary->mood, "frustrated");
  summary = parse_summary_reply(200, R"({"summary":"x","category":7,"mood":"furious"})");
  ASSERT_TRUE(summary);
  EXPECT_EQ(summary->category, "");
  EXPECT_EQ(summary->mood, "");  // not one of the known moods
  EXPECT_EQ(
      parse_summary_reply(200, R"({"summary":"x","category":")" + std::string(200, 'a') + R"("})")
          ->category.size(),
      64u);
}

TEST(BotSummary, RefusesRepliesWithoutAUsableSummary) {
  for (const auto& [status, body] : std::vector<std::pair<int, std::string>>{
           {500, R"({"summary":"x"})"},
           {404, ""},
           {200, R"({})"},
           {200, R"({"summary":"  \n"})"},
           {200, R"({"summary":5})"},
           {200, R"({"summary":")" + std::string(1001, 'a') + R"("})"},
           {200, "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"},
           {200, std::string(65537, 'a')}}) {
    EXPECT_FALSE(parse_summary_reply(status, body)) << body.substr(0, 60);
  }
}

TEST(BotSuggestions, KeepsTheFirstThreeUsableOnes) {
  const auto kept =
      parse_suggestions_reply(200, R"({"suggestions":["one"," ",7,")" + std::string(1001, 'a') +
                                       R"(","two","three","four"]})");
  ASSERT_TRUE(kept);
  EXPECT_EQ(*kept, (std::vector<std::string>{"one", "two", "three"}));
  const auto none = parse_suggestions_reply(200, R"({"suggestions":[]})");
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
  EXPECT_FALSE(parse_suggestions_reply(200, R"({"suggestions":"one"})"));
  EXPECT_FALSE(parse_suggestions_reply(200, R"({})"));
  EXPECT_FALSE(parse_suggestions_reply(503, R"({"suggestions":["one"]})"));
}

TEST(BotAssistRequests, SendTheNewestTurnsWithinTheBudget) {
  std::vector<BotTurn> turns;
  for (int i = 0; i < 80; ++i) turns.push_back({i % 2 ? "bot" : "customer", std::to_string(i)});
  const json::value body = json::parse(make_summary_request("c_1", "u_1", "en", turns));
  const auto& messages = body.at("messages").as_array();
  ASSERT_EQ(messages.size(), kBotAssistMessages);
  EXPECT_EQ(messages.front().at("text"), "30");  // the newest 50, oldest first
  EXPECT_EQ(messages.back().at("text"), "79");
  EXPECT_EQ(body.at("lang"), "en");
  EXPECT_EQ(body.at("conversationId"), "c_1");

  std::vector<BotTurn> long_turns(5, BotTurn{"customer", std::string(10000, 'x')});
  const json::value suggestion =
      json::parse(make_suggestion_request("r_1", "c_1", "u_1", "", long_turns));
  EXPECT_EQ(suggestion.at("messages").as_array().size(), 3u);  // 32 KiB of text at most
  EXPECT_EQ(suggestion.at("roomId"), "r_1");
  EXPECT_FALSE(suggestion.as_object().contains("lang"));
}

TEST(BuiltinAssist, SummarisesTheLastQuestionWithACategoryAndAMood) {
  const std::vector<BotTurn> calm{{"customer", "환불하고 싶어요"}, {"bot", "마이페이지에서..."}};
  const BotSummary korean = builtin_summary(calm, "ko");
  EXPECT_EQ(korean.category, "refund");
  EXPECT_EQ(korean.mood, "neutral");
  EXPECT_NE(korean.summary.find("환불하고 싶어요"), std::string::npos);
  const BotSummary angry = builtin_summary({{"customer", "Refund now, this is terrible"}}, "en");
  EXPECT_EQ(angry.mood, "angry");
  EXPECT_NE(angry.summary.find("The customer asked about a refund"), std::string::npos);
  EXPECT_NE(korean.summary.find("환불 관련"), std::string::npos);
  const BotSummary long_one = builtin_summary({{"customer", std::string(5000, 'a')}}, "en");
  EXPECT_LE(long_one.summary.size(), kBotSummaryLimit);
  EXPECT_TRUE(is_known_mood(builtin_summary({}, "ko").mood));
}

TEST(BuiltinAssist, SuggestsRepliesFittingTheCategory) {
  const auto refund = builtin_suggestions({{"customer", "환불은 언제 되나요?"}}, "ko");
  ASSERT_EQ(refund.size(), 2u);
  EXPECT_NE(refund[0].find("환불"), std::string::npos);
  const auto english = builtin_suggestions({{"customer", "payment error"}}, "en");
  ASSERT_FALSE(english.empty());
  EXPECT_NE(english[0].find("payment"), std::string::npos);
  for (const auto& text : builtin_suggestions({{"agent", "hello"}}, "en")) {
    EXPECT_LE(text.size(), kBotSuggestionLimit);
  }
}

}  // namespace
}  // namespace aicc::chat
