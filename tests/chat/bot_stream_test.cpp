#include "chat/bot_stream.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace aicc::chat {
namespace {

using Format = BotStreamDecoder::Format;

// Feeds `bytes` in pieces of `step` bytes, then finishes; the parts, or the first problem.
struct Decoded {
  std::vector<BotStreamPart> parts;
  std::optional<BotBodyProblem> problem;
};
Decoded decode(Format format, const std::string& bytes, std::size_t step) {
  BotStreamDecoder decoder(format);
  Decoded out;
  for (std::size_t at = 0; at < bytes.size() && !out.problem; at += step) {
    out.problem = decoder.feed(std::string_view(bytes).substr(at, step), out.parts);
  }
  if (!out.problem) out.problem = decoder.finish(out.parts);
  return out;
}

TEST(BotStream, KnowsTheStreamedFormatsByContentType) {
  EXPECT_EQ(BotStreamDecoder::format_of("text/event-stream"), Format::kEventStream);
  EXPECT_EQ(BotStreamDecoder::format_of(" Text/Event-Stream; charset=utf-8"), Format::kEventStream);
  EXPECT_EQ(BotStreamDecoder::format_of("application/x-ndjson"), Format::kNdjson);
  EXPECT_EQ(BotStreamDecoder::format_of("application/json"), std::nullopt);
  EXPECT_EQ(BotStreamDecoder::format_of(""), std::nullopt);
}

TEST(BotStream, ReadsServerSentEventsInPiecesOfAnySize) {
  const std::string stream =
      ": keep-alive\r\n"
      "retry: 100\r\n"
      "data: {\"delta\":\"안녕\"}\r\n\r\n"
      "event: message\nid: 2\ndata: {\"delta\":\"하세요\"}\n\n"
      "data: {\"final\":true,\n"
      "data: \"needHuman\":true,\"category\":\"refund\"}\r\r"
      "data: [DONE]\n\n";
  for (std::size_t step : {1u, 2u, 3u, 7u, 1000u}) {
    const Decoded out = decode(Format::kEventStream, stream, step);
    ASSERT_FALSE(out.problem) << step << ": " << out.problem->message;
    ASSERT_EQ(out.parts.size(), 3u) << step;
    EXPECT_EQ(out.parts[0].delta, "안녕");
    EXPECT_EQ(out.parts[1].delta, "하세요");
    EXPECT_TRUE(out.parts[2].final);
    EXPECT_TRUE(out.parts[2].need_human);
    EXPECT_EQ(out.parts[2].category, "refund");
  }
}

TEST(BotStream, ReadsNdjsonWithALastLineWithoutItsNewline) {
  const std::string stream = "{\"delta\":\"a\"}\n\n  \n{\"delta\":\"b\"}\r\n{\"final\":true}";
  for (std::size_t step : {1u, 5u, 1000u}) {
    const Decoded out = decode(Format::kNdjson, stream, step);
    ASSERT_FALSE(out.problem) << out.problem->message;
    ASSERT_EQ(out.parts.size(), 3u);
    EXPECT_EQ(out.parts[0].delta + out.parts[1].delta, "ab");
    EXPECT_TRUE(out.parts[2].final);
  }
}

TEST(BotStream, DropsAnEventCutOffByTheEndOfTheBody) {
  const Decoded out =
      decode(Format::kEventStream, "data: {\"delta\":\"a\"}\n\ndata: {\"final\":true}", 4);
  ASSERT_FALSE(out.problem);
  ASSERT_EQ(out.parts.size(), 1u);
  EXPECT_FALSE(out.parts[0].final);
}

TEST(BotStream, AnErrorEventEndsTheStreamWithTheBotsReason) {
  const Decoded out =
      decode(Format::kEventStream,
             "data: {\"delta\":\"a\"}\n\nevent: error\ndata: model overloaded\n\n", 3);
  ASSERT_TRUE(out.problem);
  EXPECT_NE(out.problem->message.find("model overloaded"), std::string::npos);
  EXPECT_EQ(out.parts.size(), 1u);
}

TEST(BotStream, RefusesOverlongLinesAndEventsWithoutGrowing) {
  const std::string line(kBotBodyLimit + 1, 'x');
  Decoded out = decode(Format::kNdjson, line, 4096);
  ASSERT_TRUE(out.problem);
  EXPECT_EQ(out.problem->code, BotBodyError::kTooLarge);
  std::string many_data;
  for (int i = 0; i < 2000; ++i) many_data += "data: " + std::string(40, 'y') + "\n";
  out = decode(Format::kEventStream, many_data, 512);
  ASSERT_TRUE(out.problem);
  EXPECT_EQ(out.problem->code, BotBodyError::kTooLarge);
  // Once failed, it stays failed.
  BotStreamDecoder decoder(Format::kNdjson);
  std::vector<BotStreamPart> parts;
  ASSERT_TRUE(decoder.feed("not json\n", parts));
  EXPECT_TRUE(decoder.feed("{\"delta\":\"a\"}\n", parts));
  EXPECT_TRUE(parts.empty());
}

TEST(BotStreamPart, ChecksEveryField) {
  EXPECT_TRUE(parse_stream_part(R"({"delta":"x"})"));
  EXPECT_TRUE(parse_stream_part(R"({"delta":null,"final":true,"retract":true})"));
  EXPECT_TRUE(parse_stream_part(R"({"final":true,"botMessage":"whole","needHuman":false})"));
  EXPECT_FALSE(parse_stream_part(R"({"delta":1})"));
  EXPECT_FALSE(
      parse_stream_part(R"({"delta":")" + std::string(kBotStreamDeltaLimit + 1, 'a') + "\"}"));
  EXPECT_FALSE(parse_stream_part(R"({"needHuman":true})"));  // only with final
  EXPECT_FALSE(parse_stream_part(R"({"final":true,"botMessage":"  "})"));
  EXPECT_FALSE(parse_stream_part(R"({"final":"yes"})"));
  EXPECT_FALSE(parse_stream_part("[1]"));
  EXPECT_FALSE(parse_stream_part("\xff"));
  EXPECT_FALSE(parse_stream_part(std::string(200, '[')));
}

BotStreamPart delta(std::string text) { return BotStreamPart{.delta = std::move(text)}; }
BotStreamPart final_part() { return BotStreamPart{.final = true}; }

TEST(BotStreamAnswer, PutsThePartsTogether) {
  BotStreamAnswer answer({});
  EXPECT_EQ(answer.add(delta("안녕"), 0), BotStreamAnswer::Step::kMore);
  EXPECT_EQ(answer.add(delta("하세요"), 10), BotStreamAnswer::Step::kMore);
  EXPECT_EQ(answer.text(), "안녕하세요");
  BotStreamPart last = final_part();
  last.need_human = true;
  last.category = "refund";
  EXPECT_EQ(answer.add(last, 20), BotStreamAnswer::Step::kFinal);
  ASSERT_TRUE(answer.answer());
  EXPECT_EQ(answer.answer()->bot_message, "안녕하세요");
  EXPECT_TRUE(answer.answer()->need_human);
  EXPECT_EQ(answer.answer()->category, "refund");
  EXPECT_EQ(answer.parts(), 3u);
  // Nothing is taken after the final part.
  EXPECT_EQ(answer.add(delta("more"), 30), BotStreamAnswer::Step::kFinal);
  EXPECT_EQ(answer.text(), "안녕하세요");
}

TEST(BotStreamAnswer, AFinalTextOrARetractionReplacesTheParts) {
  BotStreamAnswer replaced({});
  replaced.add(delta("draft"), 0);
  BotStreamPart last = final_part();
  last.bot_message = "the whole answer";
  EXPECT_EQ(replaced.add(last, 1), BotStreamAnswer::Step::kFinal);
  EXPECT_EQ(replaced.answer()->bot_message, "the whole answer");

  BotStreamAnswer retracted({});
  retracted.add(delta("oops"), 0);
  BotStreamPart take_back = final_part();
  take_back.retract = true;
  EXPECT_EQ(retracted.add(take_back, 1), BotStreamAnswer::Step::kFinal);
  EXPECT_TRUE(retracted.retracted());
  EXPECT_FALSE(retracted.answer());
}

TEST(BotStreamAnswer, AnEmptyAnswerFails) {
  BotStreamAnswer answer({});
  EXPECT_EQ(answer.add(delta("  "), 0), BotStreamAnswer::Step::kMore);
  EXPECT_EQ(answer.add(final_part(), 1), BotStreamAnswer::Step::kFailed);
  EXPECT_FALSE(answer.problem().empty());
}

TEST(BotStreamAnswer, CutsOffOversizedTooManyAndFloodingStreams) {
  BotStreamAnswer oversized({});
  const std::string chunk(kBotStreamDeltaLimit, 'x');
  BotStreamAnswer::Step step = BotStreamAnswer::Step::kMore;
  for (int i = 0; i < 10 && step == BotStreamAnswer::Step::kMore; ++i)
    step = oversized.add(delta(chunk), i);
  EXPECT_EQ(step, BotStreamAnswer::Step::kFailed);
  EXPECT_LE(oversized.text().size(), kBotStreamTextLimit);

  BotStreamAnswer many({.max_parts = 5, .burst = 100, .parts_per_second = 100});
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(many.add(delta("a"), i * 1000), BotStreamAnswer::Step::kMore);
  EXPECT_EQ(many.add(delta("a"), 6000), BotStreamAnswer::Step::kFailed);

  // A burst, then no more than the rate: parts spread out are fine, a flood is not.
  BotStreamAnswer paced({.max_parts = 1000, .burst = 10, .parts_per_second = 5});
  for (int i = 0; i < 60; ++i) {
    ASSERT_EQ(paced.add(delta("a"), i * 250), BotStreamAnswer::Step::kMore) << i;
  }
  BotStreamAnswer flood({.max_parts = 1000, .burst = 10, .parts_per_second = 5});
  step = BotStreamAnswer::Step::kMore;
  int taken = 0;
  while (step == BotStreamAnswer::Step::kMore && taken < 100)
    step = flood.add(delta("a"), 0), ++taken;
  EXPECT_EQ(step, BotStreamAnswer::Step::kFailed);
  EXPECT_EQ(taken, 16);
}

}  // namespace
}  // namespace aicc::chat
