#include "chat/bot_protocol.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <set>
#include <string>

#include "util/utf8.hpp"

namespace aicc::chat {
namespace {

namespace json = boost::json;

template <class T>
void expect_problem(const util::Result<T, BotBodyProblem>& result, BotBodyError code,
                    std::string_view mentions = {}) {
  ASSERT_FALSE(result.has_value()) << "expected " << to_string(code);
  EXPECT_EQ(result.error().code, code)
      << "got " << to_string(result.error().code) << ": " << result.error().message;
  EXPECT_FALSE(result.error().message.empty());
  if (!mentions.empty()) {
    EXPECT_NE(result.error().message.find(mentions), std::string::npos) << result.error().message;
  }
}

BotReply expect_answer(int status, std::string_view body) {
  const auto result = parse_chat_reply(status, body);
  EXPECT_TRUE(result.has_value()) << (result ? "" : result.error().message);
  if (!result || !result->has_value()) {
    ADD_FAILURE() << "no answer in " << body;
    return {};
  }
  return **result;
}

void expect_deferred(int status, std::string_view body) {
  const auto result = parse_chat_reply(status, body);
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_FALSE(result->has_value()) << body;
}

// A body of exactly `size` bytes: {"botMessage":"ok","pad":"xxx…"}.
std::string padded_reply(std::size_t size) {
  const std::string head = R"({"botMessage":"ok","pad":")";
  const std::string tail = R"("})";
  return head + std::string(size - head.size() - tail.size(), 'x') + tail;
}

// Chat request

TEST(BotProtocolTest, ChatRequestCarriesTheSeedFields) {
  const std::string body = make_chat_request({"conv-1", "cust-7", "환불하고 싶어요", ""});
  const json::value value = json::parse(body);
  const json::object& object = value.as_object();
  EXPECT_EQ(object.at("sessionId").as_string(), "conv-1");
  EXPECT_EQ(object.at("customerId").as_string(), "cust-7");
  EXPECT_EQ(object.at("message").as_string(), "환불하고 싶어요");
  EXPECT_FALSE(object.contains("messageId"));
  EXPECT_EQ(object.size(), 3u);
}

TEST(BotProtocolTest, ChatRequestCarriesTheCustomersLanguageWhenKnown) {
  const json::value value = json::parse(make_chat_request({"c", "u", "hi", "", "en"}));
  EXPECT_EQ(value.at("lang").as_string(), "en");
  EXPECT_FALSE(json::parse(make_chat_request({"c", "u", "hi", ""})).as_object().contains("lang"));
}

TEST(BotProtocolTest, ChatRequestCarriesTheMessageIdWhenKnown) {
  const json::value value = json::parse(make_chat_request({"c", "u", "hi", "msg-42"}));
  EXPECT_EQ(value.at("messageId").as_string(), "msg-42");
}

TEST(BotProtocolTest, ChatRequestEscapesWhatJsonNeeds) {
  const std::string message = "say \"hi\"\n\\ </script> \x01 end";
  const std::string body = make_chat_request({"c", "u", message, ""});
  EXPECT_EQ(json::parse(body).at("message").as_string(), message);
  EXPECT_EQ(body.find('\n'), std::string::npos);
}

TEST(BotProtocolTest, ChatRequestReplacesInvalidUtf8) {
  const std::string body = make_chat_request({"c\xFF", "u", "a\xC3\x28z\xED\xA0\x80", ""});
  EXPECT_TRUE(util::is_valid_utf8(body));
  const json::value value = json::parse(body);
  EXPECT_EQ(value.at("sessionId").as_string(), "c\uFFFD");
  EXPECT_EQ(value.at("message").as_string(), "a\uFFFD(z\uFFFD\uFFFD\uFFFD");
}

// Chat reply

TEST(BotProtocolTest, ReplyOfTheSeedBotIsAnAnswer) {
  const BotReply refund = expect_answer(
      200,
      R"({"sessionId":"c","customerId":"u","botMessage":"환불은 마이페이지에서 가능합니다.","needHuman":false})");
  EXPECT_EQ(refund.answer.bot_message, "환불은 마이페이지에서 가능합니다.");
  EXPECT_FALSE(refund.answer.need_human);
  EXPECT_EQ(refund.answer.category, "");
  EXPECT_FALSE(refund.reply_to.has_value());

  const BotReply payment = expect_answer(
      200,
      R"({"botMessage":"결제 오류는 상담사가 도와드리겠습니다.","needHuman":true,"category":"결제"})");
  EXPECT_TRUE(payment.answer.need_human);
  EXPECT_EQ(payment.answer.category, "결제");
}

TEST(BotProtocolTest, ReplyTakesNullAsAbsent) {
  const BotReply reply =
      expect_answer(201, R"({"botMessage":"ok","needHuman":null,"category":null,"replyTo":null})");
  EXPECT_FALSE(reply.answer.need_human);
  EXPECT_EQ(reply.answer.category, "");
  EXPECT_FALSE(reply.reply_to.has_value());
}

TEST(BotProtocolTest, ReplyKeepsReplyToAndIgnoresUnknownFields) {
  const BotReply reply =
      expect_answer(200, R"({"botMessage":"ok","replyTo":"msg-42","confidence":0.9,"extra":{}})");
  EXPECT_EQ(reply.reply_to, "msg-42");
}

TEST(BotProtocolTest, ReplyWithoutBotMessageMeansTheWebhookWillAnswer) {
  expect_deferred(202, "");
  expect_deferred(204, "");
  expect_deferred(200, " \r\n");
  expect_deferred(202, "{}");
  expect_deferred(202, R"({"accepted":true})");
  expect_deferred(200, R"({"botMessage":null})");
}

TEST(BotProtocolTest, ReplyWithAnErrorStatusIsRefused) {
  for (int status : {0, 100, 199, 300, 302, 400, 404, 500, 503, 999, -1}) {
    expect_problem(parse_chat_reply(status, R"({"botMessage":"ok"})"), BotBodyError::kBadStatus,
                   std::to_string(status));
  }
}

TEST(BotProtocolTest, ReplyFieldsOfTheWrongTypeAreRefused) {
  expect_problem(parse_chat_reply(200, R"({"botMessage":42})"), BotBodyError::kWrongType,
                 "botMessage");
  expect_problem(parse_chat_reply(200, R"({"botMessage":["a"]})"), BotBodyError::kWrongType,
                 "botMessage");
  expect_problem(parse_chat_reply(200, R"({"botMessage":"ok","needHuman":"true"})"),
                 BotBodyError::kWrongType, "needHuman");
  expect_problem(parse_chat_reply(200, R"({"botMessage":"ok","needHuman":1})"),
                 BotBodyError::kWrongType, "needHuman");
  expect_problem(parse_chat_reply(200, R"({"botMessage":"ok","category":5})"),
                 BotBodyError::kWrongType, "category");
  expect_problem(parse_chat_reply(200, R"({"botMessage":"ok","replyTo":42})"),
                 BotBodyError::kWrongType, "replyTo");
}

TEST(BotProtocolTest, ReplyWithEmptyOrBlankBotMessageIsRefused) {
  expect_problem(parse_chat_reply(200, R"({"botMessage":""})"), BotBodyError::kBadValue,
                 "botMessage");
  expect_problem(parse_chat_reply(200, R"({"botMessage":" \n\t "})"), BotBodyError::kBadValue,
                 "botMessage");
  expect_problem(parse_chat_reply(200, R"({"botMessage":"ok","category":""})"),
                 BotBodyError::kBadValue, "category");
}

TEST(BotProtocolTest, ReplyThatIsNotAJsonObjectIsRefused) {
  expect_problem(parse_chat_reply(200, "<html>Bad Gateway</html>"), BotBodyError::kBadJson);
  expect_problem(parse_chat_reply(200, R"({"botMessage":"ok")"), BotBodyError::kBadJson);
  expect_problem(parse_chat_reply(200, R"({"botMessage":"ok"} trailing)"), BotBodyError::kBadJson);
  expect_problem(parse_chat_reply(200, R"({'botMessage':'ok'})"), BotBodyError::kBadJson);
  expect_problem(parse_chat_reply(200, "[]"), BotBodyError::kNotObject);
  expect_problem(parse_chat_reply(200, R"("botMessage")"), BotBodyError::kNotObject);
  expect_problem(parse_chat_reply(200, "null"), BotBodyError::kNotObject);
}

TEST(BotProtocolTest, ReplyThatIsNotUtf8IsRefused) {
  expect_problem(parse_chat_reply(200, "{\"botMessage\":\"\xFF\xFE\"}"), BotBodyError::kBadUtf8);
  expect_problem(parse_chat_reply(200, "{\"botMessage\":\"\xC0\xAF\"}"), BotBodyError::kBadUtf8);
  // An escaped lone surrogate would decode to invalid UTF-8.
  expect_problem(parse_chat_reply(200, R"({"botMessage":"\ud800"})"), BotBodyError::kBadJson);
}

TEST(BotProtocolTest, DeeplyNestedReplyIsRefusedWithoutCrashing) {
  const std::string deep = std::string(30'000, '[') + std::string(30'000, ']');
  expect_problem(parse_chat_reply(200, deep), BotBodyError::kBadJson);
  const std::string nested =
      R"({"botMessage":"ok","x":)" + std::string(20, '[') + std::string(20, ']') + "}";
  expect_problem(parse_chat_reply(200, nested), BotBodyError::kBadJson);
}

TEST(BotProtocolTest, ReplyUpToTheSizeLimitIsAccepted) {
  const std::string body = padded_reply(kBotBodyLimit);
  ASSERT_EQ(body.size(), kBotBodyLimit);
  EXPECT_EQ(expect_answer(200, body).answer.bot_message, "ok");
}

TEST(BotProtocolTest, ReplyOverTheSizeLimitIsRefused) {
  expect_problem(parse_chat_reply(200, padded_reply(kBotBodyLimit + 1)), BotBodyError::kTooLarge);
  expect_problem(parse_chat_reply(200, std::string(10 << 20, ' ')), BotBodyError::kTooLarge);
  expect_problem(parse_chat_reply(200, std::string(10 << 20, 'x')), BotBodyError::kTooLarge);
}

TEST(BotProtocolTest, OverlongCategoryOrReplyToIsRefused) {
  const std::string category(kBotCategoryLimit + 1, 'c');
  expect_problem(parse_chat_reply(200, R"({"botMessage":"ok","category":")" + category + "\"}"),
                 BotBodyError::kBadValue, "category");
  const std::string reply_to(kBotIdLimit + 1, 'r');
  expect_problem(parse_chat_reply(200, R"({"botMessage":"ok","replyTo":")" + reply_to + "\"}"),
                 BotBodyError::kBadValue, "replyTo");
}

// Webhook body

TEST(BotProtocolTest, WebhookOfTheSeedShapeIsParsed) {
  const auto result = parse_webhook_body(
      R"({"sessionId":"conv-1","customerId":"cust-7","botMessage":"결제 오류는 상담사가 도와드리겠습니다.","needHuman":true,"category":"결제","replyTo":"msg-9"})");
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_EQ(result->session_id, "conv-1");
  EXPECT_EQ(result->customer_id, "cust-7");
  EXPECT_EQ(result->reply.answer.bot_message, "결제 오류는 상담사가 도와드리겠습니다.");
  EXPECT_TRUE(result->reply.answer.need_human);
  EXPECT_EQ(result->reply.answer.category, "결제");
  EXPECT_EQ(result->reply.reply_to, "msg-9");
}

TEST(BotProtocolTest, WebhookWithoutOptionalFieldsIsParsed) {
  const auto result =
      parse_webhook_body(R"({"sessionId":"s","customerId":"u","botMessage":"안녕하세요"})");
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_FALSE(result->reply.answer.need_human);
  EXPECT_EQ(result->reply.answer.category, "");
  EXPECT_FALSE(result->reply.reply_to.has_value());
}

TEST(BotProtocolTest, WebhookNamesTheMissingField) {
  expect_problem(parse_webhook_body(R"({"customerId":"u","botMessage":"m"})"),
                 BotBodyError::kMissingField, "sessionId");
  expect_problem(parse_webhook_body(R"({"sessionId":"s","botMessage":"m"})"),
                 BotBodyError::kMissingField, "customerId");
  expect_problem(parse_webhook_body(R"({"sessionId":"s","customerId":"u"})"),
                 BotBodyError::kMissingField, "botMessage");
  expect_problem(parse_webhook_body(R"({"sessionId":null,"customerId":"u","botMessage":"m"})"),
                 BotBodyError::kMissingField, "sessionId");
}

TEST(BotProtocolTest, WebhookWithBadIdsIsRefused) {
  expect_problem(parse_webhook_body(R"({"sessionId":"","customerId":"u","botMessage":"m"})"),
                 BotBodyError::kBadValue, "sessionId");
  expect_problem(parse_webhook_body(R"({"sessionId":"s","customerId":7,"botMessage":"m"})"),
                 BotBodyError::kWrongType, "customerId");
  const std::string long_id(kBotIdLimit + 1, 'i');
  expect_problem(
      parse_webhook_body(R"({"sessionId":")" + long_id + R"(","customerId":"u","botMessage":"m"})"),
      BotBodyError::kBadValue, "sessionId");
}

TEST(BotProtocolTest, HostileWebhookBodiesAreRefused) {
  expect_problem(parse_webhook_body(""), BotBodyError::kBadJson);
  expect_problem(parse_webhook_body("[1,2]"), BotBodyError::kNotObject);
  expect_problem(parse_webhook_body("{\"sessionId\":\"\x80\"}"), BotBodyError::kBadUtf8);
  expect_problem(parse_webhook_body(std::string(kBotBodyLimit + 1, '{')), BotBodyError::kTooLarge);
  expect_problem(parse_webhook_body(std::string(1000, '{')), BotBodyError::kBadJson);
  const char raw_nul[] = "{\"sessionId\":\"s\0\"}";  // a raw NUL inside a string
  expect_problem(parse_webhook_body(std::string(raw_nul, sizeof raw_nul - 1)),
                 BotBodyError::kBadJson);
}

// Apology

TEST(BotProtocolTest, ApologyOffersAnAgent) {
  const BotAnswer answer = bot_unavailable_answer();
  EXPECT_TRUE(answer.need_human);
  EXPECT_EQ(answer.category, "bot_unavailable");
  EXPECT_TRUE(util::is_valid_utf8(answer.bot_message));
  EXPECT_NE(answer.bot_message.find("죄송합니다"), std::string::npos);
  EXPECT_NE(answer.bot_message.find("상담사"), std::string::npos);
  const BotAnswer english = bot_unavailable_answer("en");
  EXPECT_TRUE(english.need_human);
  EXPECT_EQ(english.category, "bot_unavailable");
  EXPECT_NE(english.bot_message.find("Sorry"), std::string::npos);
}

TEST(BotProtocolTest, EveryErrorHasItsOwnCode) {
  std::set<std::string_view> codes;
  for (BotBodyError error :
       {BotBodyError::kBadStatus, BotBodyError::kTooLarge, BotBodyError::kBadUtf8,
        BotBodyError::kBadJson, BotBodyError::kNotObject, BotBodyError::kMissingField,
        BotBodyError::kWrongType, BotBodyError::kBadValue}) {
    codes.insert(to_string(error));
  }
  EXPECT_EQ(codes.size(), 8u);
  EXPECT_EQ(to_string(BotBodyError::kTooLarge), "too_large");
}

TEST(BotProtocolTest, AWebhookMayCarryOnePartOfAStreamedAnswer) {
  auto webhook = parse_webhook_body(
      R"({"sessionId":"c_1","customerId":"u_1","answerId":"a-1.b:2_c","part":3,"delta":"hi"})");
  ASSERT_TRUE(webhook) << webhook.error().message;
  ASSERT_TRUE(webhook->part);
  EXPECT_EQ(webhook->part->answer_id, "a-1.b:2_c");
  EXPECT_EQ(webhook->part->number, 3);
  EXPECT_EQ(webhook->part->part.delta, "hi");
  EXPECT_FALSE(webhook->part->part.final);

  auto last = parse_webhook_body(
      R"({"sessionId":"c_1","customerId":"u_1","answerId":"a","part":4,"final":true,)"
      R"("needHuman":true,"category":"refund","replyTo":"m_1"})");
  ASSERT_TRUE(last) << last.error().message;
  EXPECT_TRUE(last->part->part.final);
  EXPECT_TRUE(last->part->part.need_human);
  EXPECT_EQ(last->reply.reply_to, "m_1");

  // A whole answer is not a part.
  auto whole = parse_webhook_body(R"({"sessionId":"c","customerId":"u","botMessage":"hello"})");
  ASSERT_TRUE(whole);
  EXPECT_FALSE(whole->part);
}

TEST(BotProtocolTest, WebhookPartsOutOfShapeAreRefused) {
  const std::string head = R"({"sessionId":"c","customerId":"u",)";
  for (const std::string& fields : {
           std::string(R"("answerId":"a"})"),              // no part
           std::string(R"("answerId":"a","part":0})"),     // numbered from 1
           std::string(R"("answerId":"a","part":2001})"),  // at most 2000
           std::string(R"("answerId":"a","part":-1})"),
           std::string(R"("answerId":"a","part":1.5})"),
           std::string(R"("answerId":"a","part":"1"})"),
           std::string(R"("answerId":"a","part":18446744073709551615})"),
           std::string(R"("answerId":"","part":1})"),
           std::string(R"("answerId":"a b","part":1})"),
           std::string(R"("answerId":"a/../b","part":1})"),
           std::string(R"("answerId":")") + std::string(129, 'a') + R"(","part":1})",
           std::string(R"("answerId":7,"part":1})"),
           std::string(R"("answerId":"a","part":1,"delta":")") + std::string(4097, 'x') + "\"}",
           std::string(R"("answerId":"a","part":1,"needHuman":true})"),  // final only
           std::string(R"("answerId":"a","part":1,"final":true,"botMessage":" "})"),
       }) {
    EXPECT_FALSE(parse_webhook_body(head + fields)) << fields.substr(0, 80);
  }
}

}  // namespace
}  // namespace aicc::chat
