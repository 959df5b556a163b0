// What the bot achieved: a conversation counts as resolved by the bot once half an hour passed
// after its last answer with no request for a person; a request counts it as handed over, by why.
#include "chat/bot_outcomes.hpp"

#include <gtest/gtest.h>

#include <string>

namespace aicc::chat {
namespace {

constexpr Millis kOutcomesStart = 1'800'000'000'000;
constexpr Millis kOutcomesMinute = 60'000;

TEST(BotOutcomes, AConversationWithoutARequestIsResolvedByTheBotAfterHalfAnHour) {
  BotOutcomes outcomes;
  outcomes.answered("c1", kOutcomesStart);
  outcomes.answered(
      "c1", kOutcomesStart + 10 * kOutcomesMinute);  // the customer went on: the clock restarts
  EXPECT_EQ(outcomes.figures(kOutcomesStart + 35 * kOutcomesMinute).resolved, 0);
  const auto figures = outcomes.figures(kOutcomesStart + 41 * kOutcomesMinute);
  EXPECT_EQ(figures.resolved, 1);
  EXPECT_EQ(figures.answered, 2);
  EXPECT_DOUBLE_EQ(figures.resolution_rate, 1.0);
}

TEST(BotOutcomes, ARequestCountsTheConversationAsHandedOverWithItsReason) {
  BotOutcomes outcomes;
  outcomes.answered("c1", kOutcomesStart);
  outcomes.answered("c2", kOutcomesStart);
  outcomes.answered("c3", kOutcomesStart);
  outcomes.handed_over("c1", HandoverReason::kBotNeedHuman, kOutcomesStart + kOutcomesMinute);
  outcomes.handed_over("c2", HandoverReason::kCustomerAsked, kOutcomesStart + kOutcomesMinute);
  outcomes.handed_over("", HandoverReason::kBotFailed,
                       kOutcomesStart + kOutcomesMinute);  // never wrote to it
  const auto figures = outcomes.figures(kOutcomesStart + 31 * kOutcomesMinute);
  EXPECT_EQ(figures.bot_need_human, 1);
  EXPECT_EQ(figures.customer_asked, 1);
  EXPECT_EQ(figures.bot_failed, 1);
  EXPECT_EQ(figures.handed_over(), 3);
  EXPECT_EQ(figures.resolved, 1);  // c3 only
  EXPECT_DOUBLE_EQ(figures.resolution_rate, 0.25);
}

TEST(BotOutcomes, FiguresCoverTheLastDayAndNothingIsANullRate) {
  BotOutcomes outcomes;
  EXPECT_LT(outcomes.figures(kOutcomesStart).resolution_rate, 0);
  outcomes.answered("c1", kOutcomesStart);
  outcomes.handed_over("c1", HandoverReason::kBotNeedHuman, kOutcomesStart + kOutcomesMinute);
  EXPECT_EQ(outcomes.figures(kOutcomesStart + 23 * 60 * kOutcomesMinute).handed_over(), 1);
  const auto next_day = outcomes.figures(kOutcomesStart + 25 * 60 * kOutcomesMinute);
  EXPECT_EQ(next_day.handed_over(), 0);
  EXPECT_EQ(next_day.answered, 0);
  EXPECT_LT(next_day.resolution_rate, 0);
}

TEST(BotOutcomes, OpenConversationsAreBounded) {
  BotOutcomes outcomes;
  const std::size_t many = BotOutcomes::kMaxOpen + 10;
  for (std::size_t i = 0; i < many; ++i)
    outcomes.answered("c" + std::to_string(i), kOutcomesStart + static_cast<Millis>(i / 1000));
  // The oldest were settled early, as resolved; everything is counted once.
  EXPECT_EQ(outcomes.figures(kOutcomesStart + 2 * kOutcomesMinute).resolved, 10);
  EXPECT_EQ(outcomes.figures(kOutcomesStart + 40 * kOutcomesMinute).resolved,
            static_cast<std::int64_t>(many));
}

}  // namespace
}  // namespace aicc::chat
