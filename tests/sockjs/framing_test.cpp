#include "sockjs/framing.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "util/url_decode.hpp"
#include "util/utf8.hpp"

namespace aicc::sockjs {
namespace {

std::string quote_text(std::string_view text) {
  std::string out;
  append_quoted(out, text);
  return out;
}

// UTF-8 encoding of one code point (test helper; no surrogates).
std::string utf8(char32_t c) {
  std::string out;
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
  return out;
}

std::vector<std::string> parsed(std::string_view body) {
  auto result = parse_client_messages(body, 1 << 20);
  EXPECT_TRUE(result.has_value()) << "body: " << body;
  if (!result) return {};
  return std::move(result).value();
}

ParseError parse_error(std::string_view body, std::size_t max_bytes = 1 << 20) {
  auto result = parse_client_messages(body, max_bytes);
  EXPECT_FALSE(result.has_value()) << "body: " << body;
  return result ? ParseError::kEmpty : result.error();
}

TEST(Frames, OpenAndHeartbeatAreSingleLetters) {
  EXPECT_EQ(open_frame(), "o");
  EXPECT_EQ(heartbeat_frame(), "h");
}

TEST(Frames, CloseFrameHoldsCodeAndQuotedReason) {
  EXPECT_EQ(close_frame(3000, "Go away!"), R"(c[3000,"Go away!"])");
  EXPECT_EQ(close_frame(2010, "Another connection still open"),
            R"(c[2010,"Another connection still open"])");
  EXPECT_EQ(close_frame(1002, "say \"bye\"\n"), R"(c[1002,"say \"bye\"\n"])");
}

TEST(Frames, MessageFrameIsJsonArrayOfQuotedMessages) {
  const std::vector<std::string> messages = {"m1", "m2"};
  EXPECT_EQ(message_frame(messages), R"(a["m1","m2"])");
  EXPECT_EQ(message_frame({}), "a[]");

  std::string out = "prefix:";
  const std::vector<std::string> one = {"x"};
  append_message_frame(out, one);
  EXPECT_EQ(out, R"(prefix:a["x"])");
}

struct EscapeCase {
  const char* name;
  std::string input;
  std::string expected;  // the quoted output
};

TEST(Escaping, FollowsSockJsEscapeTable) {
  const std::vector<EscapeCase> cases = {
      {"plain ascii", "hello", R"("hello")"},
      {"quote and backslash", "a\"b\\c", R"("a\"b\\c")"},
      {"short escapes", "\b\f\n\r\t", R"("\b\f\n\r\t")"},
      {"nul", std::string("\0", 1), R"("\u0000")"},
      {"control 0x01", "\x01", R"("\u0001")"},
      {"control 0x1f", "\x1f", R"("\u001f")"},
      {"delete passes", "\x7f", "\"\x7f\""},
      {"slash and angle brackets pass", "</script>", R"("</script>")"},
      {"korean passes", "\xEC\x95\x88\xEB\x85\x95", "\"\xEC\x95\x88\xEB\x85\x95\""},
      {"latin-1 passes", utf8(0xE9), "\"" + utf8(0xE9) + "\""},
      {"u+200b passes", utf8(0x200B), "\"" + utf8(0x200B) + "\""},
      {"u+200c", utf8(0x200C), R"("\u200c")"},
      {"u+200f", utf8(0x200F), R"("\u200f")"},
      {"u+2010 passes", utf8(0x2010), "\"" + utf8(0x2010) + "\""},
      {"u+2028 line separator", utf8(0x2028), R"("\u2028")"},
      {"u+2029 paragraph separator", utf8(0x2029), R"("\u2029")"},
      {"u+202f", utf8(0x202F), R"("\u202f")"},
      {"u+2030 passes", utf8(0x2030), "\"" + utf8(0x2030) + "\""},
      {"u+2060", utf8(0x2060), R"("\u2060")"},
      {"u+206f", utf8(0x206F), R"("\u206f")"},
      {"u+feff passes", utf8(0xFEFF), "\"" + utf8(0xFEFF) + "\""},
      {"u+ffef passes", utf8(0xFFEF), "\"" + utf8(0xFFEF) + "\""},
      {"u+fff0", utf8(0xFFF0), R"("\ufff0")"},
      {"u+fffd", utf8(0xFFFD), R"("\ufffd")"},
      {"u+ffff", utf8(0xFFFF), R"("\uffff")"},
      {"emoji as surrogate pair", utf8(0x1F600), R"("\ud83d\ude00")"},
      {"last code point", utf8(0x10FFFF), R"("\udbff\udfff")"},
      {"mixed", "a" + utf8(0x2028) + "b\n", R"("a\u2028b\n")"},
  };
  for (const EscapeCase& c : cases) {
    EXPECT_EQ(quote_text(c.input), c.expected) << c.name;
  }
}

TEST(Escaping, ReplacesInvalidUtf8WithReplacementCharacter) {
  const std::vector<EscapeCase> cases = {
      {"stray byte", "\xFF", R"("\ufffd")"},
      {"lone continuation", "a\x80z", R"("a\ufffdz")"},
      {"overlong slash", "\xC0\xAF", R"("\ufffd\ufffd")"},
      {"encoded surrogate", "\xED\xA0\x80", R"("\ufffd\ufffd\ufffd")"},
      {"past u+10ffff", "\xF4\x90\x80\x80", R"("\ufffd\ufffd\ufffd\ufffd")"},
      {"truncated in the middle",
       "\xE2\x82"
       "A",
       R"("\ufffdA")"},
      {"truncated at the end", "ok\xEC\x95", R"("ok\ufffd")"},
      {"truncated 4-byte", "\xF0\x9F\x98", R"("\ufffd")"},
  };
  for (const EscapeCase& c : cases) {
    EXPECT_EQ(quote_text(c.input), c.expected) << c.name;
  }
}

// sockjs-protocol 0.3.3 JSONEncoding.test_xhr_server_encodes: every character the server must
// escape, from U+00FF up, comes back as a lowercase \uXXXX escape.
TEST(Escaping, EscapesEveryCharacterTheProtocolSuiteChecks) {
  std::string input;
  std::string expected = "\"";
  const auto must_escape = [](char32_t c) {
    return (c >= 0x200C && c <= 0x200F) || (c >= 0x2028 && c <= 0x202F) ||
           (c >= 0x2060 && c <= 0x206F) || (c >= 0xFFF0 && c <= 0xFFFF);
  };
  for (char32_t c = 255; c < 0x10000; ++c) {
    if (c >= 0xD800 && c <= 0xDFFF) continue;  // not encodable in UTF-8
    if (!must_escape(c)) continue;
    input += utf8(c);
    char escape[8];
    std::snprintf(escape, sizeof escape, "\\u%04x", static_cast<unsigned>(c));
    expected += escape;
  }
  expected += '"';
  EXPECT_EQ(quote_text(input), expected);
}

TEST(Escaping, OutputIsValidUtf8ForArbitraryBytesAndRoundTripsValidText) {
  std::mt19937 random(12345);
  for (int round = 0; round < 2000; ++round) {
    std::string input(random() % 16, '\0');
    for (char& c : input) c = static_cast<char>(random() % 256);
    const std::vector<std::string> messages = {input};
    const std::string frame = message_frame(messages);
    ASSERT_TRUE(util::is_valid_utf8(frame));
    // The frame minus its leading 'a' is what a client would parse; it must be valid JSON.
    const auto back = parse_client_messages(std::string_view(frame).substr(1), 1 << 20);
    ASSERT_TRUE(back.has_value()) << frame;
    ASSERT_EQ(back->size(), 1u);
    if (util::is_valid_utf8(input)) {
      EXPECT_EQ((*back)[0], input);
    }
  }
}

TEST(Wrapping, XhrAppendsNewline) {
  EXPECT_EQ(wrap_xhr("o"), "o\n");
  EXPECT_EQ(wrap_xhr(R"(a["x"])"), "a[\"x\"]\n");
}

TEST(Wrapping, EventSourceSendsDataEvent) {
  EXPECT_EQ(wrap_eventsource("o"), "data: o\r\n\r\n");
  // Protocol EventSource.test_transport: control characters arrive JSON-escaped.
  const std::vector<std::string> messages = {std::string("  \0\n\r ", 6)};
  EXPECT_EQ(wrap_eventsource(message_frame(messages)), "data: a[\"  \\u0000\\n\\r \"]\r\n\r\n");
}

TEST(Wrapping, HtmlFileCallsPWithFrameAsJsonString) {
  EXPECT_EQ(wrap_htmlfile("o"), "<script>\np(\"o\");\n</script>\r\n");
  EXPECT_EQ(wrap_htmlfile(R"(a["x"])"), "<script>\np(\"a[\\\"x\\\"]\");\n</script>\r\n");
}

TEST(Wrapping, HtmlFileCannotBeEndedByMessageText) {
  const std::vector<std::string> messages = {"</script><script>alert(1)</script>&"};
  const std::string chunk = wrap_htmlfile(message_frame(messages));
  EXPECT_EQ(chunk.find("</script>"), chunk.rfind("</script>"));  // only the closing tag
  EXPECT_NE(chunk.find("\\u003c/script\\u003e"), std::string::npos);
  EXPECT_NE(chunk.find("\\u0026"), std::string::npos);
}

TEST(Wrapping, JsonpCallsCallbackWithFrameAsJsonString) {
  EXPECT_EQ(wrap_jsonp("callback", "o"), "/**/callback(\"o\");\r\n");
  EXPECT_EQ(wrap_jsonp("x", R"(a["b"])"), "/**/x(\"a[\\\"b\\\"]\");\r\n");
  EXPECT_EQ(wrap_jsonp("x", close_frame(3000, "Go away!")),
            "/**/x(\"c[3000,\\\"Go away!\\\"]\");\r\n");
}

TEST(Preludes, XhrStreamingSends2048HAndNewline) {
  const std::string prelude = xhr_streaming_prelude();
  EXPECT_EQ(prelude, std::string(2048, 'h') + "\n");
}

TEST(Preludes, EventSourceSendsBlankLine) { EXPECT_EQ(eventsource_prelude(), "\r\n"); }

TEST(Preludes, HtmlFileIsProtocolPagePaddedPast1024Bytes) {
  const std::string expected_head =
      "<!doctype html>\n"
      "<html><head>\n"
      "  <meta http-equiv=\"X-UA-Compatible\" content=\"IE=edge\" />\n"
      "  <meta http-equiv=\"Content-Type\" content=\"text/html; charset=UTF-8\" />\n"
      "</head><body><h2>Don't panic!</h2>\n"
      "  <script>\n"
      "    document.domain = document.domain;\n"
      "    var c = parent.callback;\n"
      "    c.start();\n"
      "    function p(d) {c.message(d);};\n"
      "    window.onload = function() {c.stop();};\n"
      "  </script>";
  const std::string prelude = htmlfile_prelude("callback");
  EXPECT_GT(prelude.size(), 1024u);
  const auto last = prelude.find_last_not_of(" \r\n");
  EXPECT_EQ(prelude.substr(0, last + 1), expected_head);
  EXPECT_EQ(prelude.substr(prelude.size() - 4), "\r\n\r\n");

  const std::string long_name(64, 'x');
  EXPECT_NE(htmlfile_prelude(long_name).find("parent." + long_name + ";"), std::string::npos);
}

TEST(Pages, IframePageMatchesProtocolTemplate) {
  const std::string expected =
      "<!DOCTYPE html>\n"
      "<html>\n"
      "<head>\n"
      "  <meta http-equiv=\"X-UA-Compatible\" content=\"IE=edge\" />\n"
      "  <meta http-equiv=\"Content-Type\" content=\"text/html; charset=UTF-8\" />\n"
      "  <script src=\"/js/sockjs.min.js\"></script>\n"
      "  <script>\n"
      "    document.domain = document.domain;\n"
      "    SockJS.bootstrap_iframe();\n"
      "  </script>\n"
      "</head>\n"
      "<body>\n"
      "  <h2>Don't panic!</h2>\n"
      "  <p>This is a SockJS hidden iframe. It's used for cross domain magic.</p>\n"
      "</body>\n"
      "</html>";
  EXPECT_EQ(iframe_page("/js/sockjs.min.js"), expected);
}

TEST(Pages, IframePageEscapesTheScriptUrl) {
  const std::string page = iframe_page("https://cdn.example/s.js?a=1&b=\"><script>");
  EXPECT_NE(page.find("src=\"https://cdn.example/s.js?a=1&amp;b=&quot;&gt;&lt;script&gt;\""),
            std::string::npos);
}

TEST(Pages, EtagIsQuotedStableAndContentDependent) {
  const std::string page = iframe_page("/js/sockjs.min.js");
  const std::string tag = etag_for(page);
  EXPECT_EQ(tag, etag_for(page));
  EXPECT_NE(tag, etag_for(iframe_page("/js/other.js")));
  ASSERT_EQ(tag.size(), 18u);
  EXPECT_EQ(tag.front(), '"');
  EXPECT_EQ(tag.back(), '"');
  EXPECT_EQ(etag_for(""), "\"cbf29ce484222325\"");  // the FNV-1a offset basis
}

TEST(Info, HasProtocolShape) {
  const std::vector<std::string> origins = {"*:*"};
  EXPECT_EQ(info_json(true, false, origins, 123),
            R"({"websocket":true,"cookie_needed":false,"origins":["*:*"],"entropy":123})");
  EXPECT_EQ(info_json(false, true, {}, 4294967295u),
            R"({"websocket":false,"cookie_needed":true,"origins":[],"entropy":4294967295})");
  const std::vector<std::string> odd = {"a\"b", "c"};
  EXPECT_EQ(info_json(true, false, odd, 0),
            R"({"websocket":true,"cookie_needed":false,"origins":["a\"b","c"],"entropy":0})");
}

TEST(Validation, AcceptsSockJsClientCallbacks) {
  EXPECT_TRUE(is_valid_callback("callback"));
  EXPECT_TRUE(is_valid_callback("_jp.a1b2c3d"));
  EXPECT_TRUE(is_valid_callback("x"));
  EXPECT_TRUE(is_valid_callback(std::string(64, 'a')));
}

// Protocol HtmlFile/JsonPolling.test_transport: "c=%63allback" names the callback "callback", and
// an escape cannot smuggle in what is_valid_callback() refuses ("abc%28" is "abc(").
TEST(Validation, CallbackIsUrlDecodedBeforeItIsChecked) {
  EXPECT_EQ(util::url_decode("%63allback"), "callback");
  EXPECT_TRUE(is_valid_callback(util::url_decode("%63allback")));
  EXPECT_FALSE(is_valid_callback(util::url_decode("abc%28")));
  EXPECT_FALSE(is_valid_callback(util::url_decode("%20")));
  EXPECT_EQ(util::url_decode("a+b%2"), "a b%2");
  EXPECT_EQ(util::url_decode("%zz%4"), "%zz%4");
}

TEST(Validation, RejectsHostileCallbacks) {
  EXPECT_FALSE(is_valid_callback(""));
  EXPECT_FALSE(is_valid_callback(std::string(65, 'a')));
  EXPECT_FALSE(is_valid_callback("alert(1)"));
  EXPECT_FALSE(is_valid_callback("a;b"));
  EXPECT_FALSE(is_valid_callback("a b"));
  EXPECT_FALSE(is_valid_callback("a-b"));
  EXPECT_FALSE(is_valid_callback("a\"b"));
  EXPECT_FALSE(is_valid_callback("</script>"));
  EXPECT_FALSE(is_valid_callback("\xEC\x95\x88"));
  EXPECT_FALSE(is_valid_callback(std::string("a\0b", 3)));
}

TEST(Validation, AcceptsAnyServerOrSessionIdWithoutDots) {
  EXPECT_TRUE(is_valid_path_component("000"));
  EXPECT_TRUE(is_valid_path_component("a"));
  EXPECT_TRUE(is_valid_path_component("_"));
  EXPECT_TRUE(is_valid_path_component("abcdefgh_i-j%20"));
  EXPECT_TRUE(is_valid_path_component("3f2a9c1e-6a8b-4c2d-9e0f-1a2b3c4d5e6f"));
  EXPECT_TRUE(is_valid_path_component(std::string(64, 'z')));
}

TEST(Validation, RejectsEmptyDottedLongOrControlPathComponents) {
  EXPECT_FALSE(is_valid_path_component(""));
  EXPECT_FALSE(is_valid_path_component("."));
  EXPECT_FALSE(is_valid_path_component("a."));
  EXPECT_FALSE(is_valid_path_component(".."));
  EXPECT_FALSE(is_valid_path_component("a/b"));
  EXPECT_FALSE(is_valid_path_component(std::string(65, 'z')));
  EXPECT_FALSE(is_valid_path_component("a\nb"));
  EXPECT_FALSE(is_valid_path_component(std::string("a\0", 2)));
}

TEST(ParseClientMessages, ReadsArrayOfStrings) {
  EXPECT_EQ(parsed(R"(["a"])"), std::vector<std::string>{"a"});
  EXPECT_EQ(parsed(R"(["a","b", "c"])"), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(parsed(" [ \"a\" ] \n"), std::vector<std::string>{"a"});
  EXPECT_EQ(parsed("[]"), std::vector<std::string>{});
  EXPECT_EQ(parsed(R"([""])"), std::vector<std::string>{""});
}

TEST(ParseClientMessages, ReadsSingleStringAsOneMessage) {
  EXPECT_EQ(parsed(R"("CONNECT\naccept-version:1.2\n\n\u0000")"),
            std::vector<std::string>{std::string("CONNECT\naccept-version:1.2\n\n\0", 29)});
}

TEST(ParseClientMessages, DecodesEscapesTheClientUses) {
  EXPECT_EQ(parsed(R"(["\u0000\n\"\\\/"])"), std::vector<std::string>{std::string("\0\n\"\\/", 5)});
  EXPECT_EQ(parsed(R"(["\u2028\u00ad\u0300\ufff0"])"),
            std::vector<std::string>{utf8(0x2028) + utf8(0xAD) + utf8(0x300) + utf8(0xFFF0)});
  EXPECT_EQ(parsed(R"(["\ud83d\ude00"])"), std::vector<std::string>{utf8(0x1F600)});
  EXPECT_EQ(parsed("[\"\xEC\x95\x88\xEB\x85\x95\"]"),
            std::vector<std::string>{"\xEC\x95\x88\xEB\x85\x95"});
  // Protocol JsonPolling.test_content_types: percent signs in raw JSON are not url-decoded.
  EXPECT_EQ(parsed(R"(["%61bc"])"), std::vector<std::string>{"%61bc"});
}

TEST(ParseClientMessages, ReplacesLoneSurrogatesWithReplacementCharacter) {
  EXPECT_EQ(parsed(R"(["\ud800x"])"), std::vector<std::string>{utf8(0xFFFD) + "x"});
  EXPECT_EQ(parsed(R"(["a\udc00"])"), std::vector<std::string>{"a" + utf8(0xFFFD)});
  EXPECT_EQ(parsed(R"(["\ude00\ud83d"])"), std::vector<std::string>{utf8(0xFFFD) + utf8(0xFFFD)});
  EXPECT_EQ(parsed(R"(["\\", "\ud83d\ude00\ud800"])"),
            (std::vector<std::string>{"\\", utf8(0x1F600) + utf8(0xFFFD)}));
  // An escaped backslash followed by "ud800" is plain text, not an escape.
  EXPECT_EQ(parsed(R"(["\\ud800"])"), std::vector<std::string>{"\\ud800"});
}

TEST(ParseClientMessages, EmptyBodyExpectsPayload) {
  EXPECT_EQ(parse_error(""), ParseError::kEmpty);
}

TEST(ParseClientMessages, NonArrayJsonExpectsPayload) {
  EXPECT_EQ(parse_error("{}"), ParseError::kEmpty);
  EXPECT_EQ(parse_error("null"), ParseError::kEmpty);
  EXPECT_EQ(parse_error("5"), ParseError::kEmpty);
  EXPECT_EQ(parse_error("true"), ParseError::kEmpty);
}

TEST(ParseClientMessages, RejectsBrokenJson) {
  for (const std::string_view body :
       {R"(["x)", "[", "]", "abc", R"(["a"] x)", R"(["a",])", R"(["a" "b"])", " ", "[\"\\x\"]",
        "\"unterminated", "[\"a\xFF\"]", "[\"\xED\xA0\x80\"]", "[\"tab\there\"]"}) {
    EXPECT_EQ(parse_error(body), ParseError::kBrokenJson) << body;
  }
}

TEST(ParseClientMessages, RejectsNonStringArrayMembers) {
  for (const std::string_view body :
       {"[1]", R"(["a",null])", "[true]", R"([["a"]])", "[{}]", R"(["a",{"b":"c"}])"}) {
    EXPECT_EQ(parse_error(body), ParseError::kBrokenJson) << body;
  }
}

TEST(ParseClientMessages, RejectsDeeplyNestedJsonWithoutRecursing) {
  const std::string arrays(1'000'000, '[');
  EXPECT_EQ(parse_error(arrays, 10 << 20), ParseError::kBrokenJson);
  std::string objects;
  for (int i = 0; i < 100'000; ++i) objects += "{\"a\":";
  EXPECT_EQ(parse_error(objects, 10 << 20), ParseError::kBrokenJson);
}

TEST(ParseClientMessages, RejectsBodyOverLimitBeforeParsing) {
  EXPECT_EQ(parse_error(R"(["abcdefg"])", 10), ParseError::kTooLarge);
  EXPECT_EQ(parsed(R"(["abcdefg"])").size(), 1u);  // 11 bytes fit in the default limit

  // 10 MB of JSON against a 1 MiB limit.
  std::string huge = "[\"";
  huge.append(10'000'000, 'x');
  huge += "\"]";
  EXPECT_EQ(parse_error(huge, 1 << 20), ParseError::kTooLarge);
}

TEST(ParseClientMessages, ParsesLargeBodyWithinLimit) {
  std::string big = "[";
  for (int i = 0; i < 10'000; ++i) {
    if (i > 0) big += ',';
    big += "\"" + std::string(1000, 'y') + "\"";
  }
  big += "]";
  const auto result = parse_client_messages(big, 16 << 20);
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->size(), 10'000u);
}

TEST(ParseClientMessages, DescribesErrorsWithProtocolTexts) {
  EXPECT_EQ(describe(ParseError::kEmpty), "Payload expected.");
  EXPECT_EQ(describe(ParseError::kBrokenJson), "Broken JSON encoding.");
  EXPECT_EQ(describe(ParseError::kTooLarge), "Payload too large.");
}

TEST(FormPayload, DecodesDField) {
  EXPECT_EQ(parse_form_payload("d=%5B%22x%22%5D"), R"(["x"])");
  EXPECT_EQ(parse_form_payload("a=1&d=%5B%22b%22%5D&d=ignored"), R"(["b"])");
  EXPECT_EQ(parse_form_payload("d=%5B%22a+b%2Bc%22%5D"), R"(["a b+c"])");
  EXPECT_EQ(parse_form_payload("d=%5b%22lower%22%5d"), R"(["lower"])");
}

TEST(FormPayload, MissingOrEmptyDFieldGivesEmpty) {
  EXPECT_EQ(parse_form_payload(""), "");
  EXPECT_EQ(parse_form_payload("d="), "");
  EXPECT_EQ(parse_form_payload("d"), "");
  EXPECT_EQ(parse_form_payload("p=p"), "");
  EXPECT_EQ(parse_form_payload("dd=1&xd=2"), "");
}

TEST(FormPayload, KeepsBadPercentEscapes) {
  EXPECT_EQ(parse_form_payload("d=%zz"), "%zz");
  EXPECT_EQ(parse_form_payload("d=%5"), "%5");
  EXPECT_EQ(parse_form_payload("d=100%"), "100%");
}

// Protocol JsonPolling.test_invalid_json, as the HTTP layer will chain the two calls.
TEST(FormPayload, JsonpSendAnswersLikeTheProtocolSuite) {
  const auto parse_form = [](std::string_view body) {
    return parse_client_messages(parse_form_payload(body), 1 << 20);
  };
  EXPECT_EQ(parse_form("d=%5B%22x").error(), ParseError::kBrokenJson);
  for (const std::string_view body : {"", "d=", "p=p"}) {
    EXPECT_EQ(parse_form(body).error(), ParseError::kEmpty) << body;
  }
  EXPECT_EQ(*parse_form("d=%5B%22b%22%5D"), std::vector<std::string>{"b"});
}

}  // namespace
}  // namespace aicc::sockjs
