#include "chat/canned_responses.hpp"

#include <gtest/gtest.h>

#include <string>

namespace aicc::chat {
namespace {

// A body with `count` entries "s0".."sN" whose texts are `text`.
std::string body_of(std::size_t count, const std::string& text = "hello") {
  std::string body = R"({"responses":[)";
  for (std::size_t i = 0; i < count; ++i) {
    if (i > 0) body += ',';
    body += R"({"shortcut":"s)" + std::to_string(i) + R"(","text":")" + text + "\"}";
  }
  return body + "]}";
}

CannedError refusal_of(std::string_view body) {
  auto parsed = parse_canned_responses(body);
  EXPECT_FALSE(parsed) << body.substr(0, 200);
  return parsed ? CannedError{} : parsed.error();
}

TEST(CannedResponses, ParsesEntriesInOrder) {
  auto parsed = parse_canned_responses(
      R"({"responses":[{"shortcut":"refund","text":"Refunds take 3 days."},)"
      R"({"shortcut":"/인사","text":"안녕하세요!\nHow can I help?","id":"cr_old","extra":[1,2]}]})");
  ASSERT_TRUE(parsed) << parsed.error().message;
  ASSERT_EQ(parsed->size(), 2u);
  EXPECT_EQ((*parsed)[0].shortcut, "refund");
  EXPECT_EQ((*parsed)[0].text, "Refunds take 3 days.");
  EXPECT_EQ((*parsed)[1].shortcut, "/인사");
  EXPECT_EQ((*parsed)[1].text, "안녕하세요!\nHow can I help?");
}

TEST(CannedResponses, AnEmptyListClearsEverything) {
  auto parsed = parse_canned_responses(R"({"responses":[]})");
  ASSERT_TRUE(parsed);
  EXPECT_TRUE(parsed->empty());
}

TEST(CannedResponses, TakesAHundredEntriesAndNoMore) {
  EXPECT_TRUE(parse_canned_responses(body_of(100)));
  EXPECT_EQ(refusal_of(body_of(101)).status, 400u);
}

TEST(CannedResponses, RefusesABodyOver128KiBAs413) {
  const std::string text(1000, 'x');
  const std::string body = body_of(100, text);  // about 103 KiB: within the limit
  ASSERT_LT(body.size(), kMaxCannedBody);
  EXPECT_TRUE(parse_canned_responses(body));
  std::string padded = body;
  padded.insert(padded.size() - 1, std::string(kMaxCannedBody, ' '));
  const CannedError error = refusal_of(padded);
  EXPECT_EQ(error.status, 413u);
  EXPECT_EQ(error.code, "too_large");
}

TEST(CannedResponses, ShortcutLimits) {
  EXPECT_TRUE(valid_shortcut("a"));
  EXPECT_TRUE(valid_shortcut(std::string(32, 'a')));
  EXPECT_FALSE(valid_shortcut(std::string(33, 'a')));
  // Counted in characters: 32 Hangul syllables are 96 bytes.
  std::string hangul;
  for (int i = 0; i < 32; ++i) hangul += "가";
  EXPECT_TRUE(valid_shortcut(hangul));
  EXPECT_FALSE(valid_shortcut(hangul + "가"));
  EXPECT_FALSE(valid_shortcut(""));
  // Whitespace of every kind (tab, newline, no-break, ideographic, em and line separator spaces)
  // and controls (DEL, a C1 control).
  for (const char* blank : {"a b", "a\tb", "a\nb", "\xC2\xA0x", "x\xE3\x80\x80", "x\xE2\x80\x83",
                            "x\xE2\x80\xA8", "del\x7F", "c1\xC2\x85"}) {
    EXPECT_FALSE(valid_shortcut(blank)) << blank;
  }
  EXPECT_FALSE(valid_shortcut(std::string_view("nul\0x", 5)));
  EXPECT_FALSE(valid_shortcut("\xFF\xFE"));      // not UTF-8
  EXPECT_FALSE(valid_shortcut("\xED\xA0\x80"));  // a surrogate
}

TEST(CannedResponses, TextLimits) {
  EXPECT_TRUE(parse_canned_responses(body_of(1, std::string(1000, 'x'))));
  EXPECT_EQ(refusal_of(body_of(1, std::string(1001, 'x'))).status, 400u);
  EXPECT_EQ(refusal_of(R"({"responses":[{"shortcut":"a","text":""}]})").status, 400u);
  // 1000 bytes, not 1000 characters: 334 three-byte syllables are 1002 bytes.
  std::string hangul;
  for (int i = 0; i < 334; ++i) hangul += "가";
  EXPECT_FALSE(parse_canned_responses(body_of(1, hangul)));
  hangul.resize(999);
  EXPECT_TRUE(parse_canned_responses(body_of(1, hangul)));
  // A lone surrogate escape decodes to bytes that are not UTF-8.
  EXPECT_FALSE(parse_canned_responses(R"({"responses":[{"shortcut":"a","text":"\ud800"}]})"));
}

TEST(CannedResponses, ShortcutsAreUniqueWithinTheList) {
  const CannedError error = refusal_of(
      R"({"responses":[{"shortcut":"a","text":"1"},{"shortcut":"b","text":"2"},{"shortcut":"a","text":"3"}]})");
  EXPECT_EQ(error.status, 400u);
  EXPECT_NE(error.message.find("responses[2]"), std::string::npos) << error.message;
  // Case-sensitive: "A" is another shortcut.
  EXPECT_TRUE(parse_canned_responses(
      R"({"responses":[{"shortcut":"a","text":"1"},{"shortcut":"A","text":"2"}]})"));
}

TEST(CannedResponses, HostileBodiesAreRefusedNotTrusted) {
  for (const std::string& body : {
           std::string(""),
           std::string("null"),
           std::string("[]"),
           std::string("\"responses\""),
           std::string("{"),
           std::string(R"({"responses":null})"),
           std::string(R"({"responses":{}})"),
           std::string(R"({"responses":"a"})"),
           std::string(R"({"responses":[1]})"),
           std::string(R"({"responses":[null]})"),
           std::string(R"({"responses":[[]]})"),
           std::string(R"({"responses":[{}]})"),
           std::string(R"({"responses":[{"shortcut":"a"}]})"),
           std::string(R"({"responses":[{"text":"a"}]})"),
           std::string(R"({"responses":[{"shortcut":1,"text":"a"}]})"),
           std::string(R"({"responses":[{"shortcut":"a","text":true}]})"),
           std::string(R"({"responses":[{"shortcut":"a","text":{"x":1}}]})"),
           std::string(R"({"responses":[{"shortcut":"a b","text":"x"}]})"),
           std::string(R"({"responses":[{"shortcut":"a\u0000","text":"x"}]})"),
           std::string(R"({"responses":[]} trailing)"),
           std::string("{\"responses\":[{\"shortcut\":\"\xFF\",\"text\":\"x\"}]}"),
           std::string(200, '[') + std::string(200, ']'),
           R"({"responses":[{"shortcut":"a","text":"x","deep":)" + std::string(50, '[') +
               std::string(50, ']') + "}]}",
       }) {
    const CannedError error = refusal_of(body);
    EXPECT_EQ(error.status, 400u) << body.substr(0, 80);
    EXPECT_EQ(error.code, "bad_request");
    EXPECT_FALSE(error.message.empty());
  }
}

}  // namespace
}  // namespace aicc::chat
