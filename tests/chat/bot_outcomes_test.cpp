// What the bot achieved: a conversation counts as resolved by the bot once half an hour passed
// after its last answer with no request for a person; a request counts it as handed over, by why.
#include "chat/bot_outcomes.hpp"

#include <gtest/gtest.h>

#include <string>

namespace aicc::chat {
namespace {

constexpr Millis kStart = 1'800'000'000'000;
constexpr Millis kMinute = 60'000;

TEST(BotOutcomes, AConversationWithoutARequestIsResolvedByTheBotAfterHalfAnHour) {
  BotOutcomes outcomes;
  outcomes.answered("c1", kStart);
  outcomes.answered("c1", kStart + 10 * kMinute);  // the customer went on: the clock restarts
  EXPECT_EQ(outcomes.figures(kStart + 35 * kMinute).resolved, 0);
  const auto figures = outcomes.figures(kStart + 41 * kMinute);
  EXPECT_EQ(figures.resolved, 1);
  EXPECT_EQ(figures.answered, 2);
  EXPECT_DOUBLE_EQ(figures.resolution_rate, 1.0);
}

TEST(BotOutcomes, ARequestCountsTheConversationAsHandedOverWithItsReason) {
  BotOutcomes outcomes;
  outcomes.answered("c1", kStart);
  outcomes.answered("c2", kStart);
  outcomes.answered("c3", kStart);
  outcomes.handed_over("c1", HandoverReason::kBotNeedHuman, kStart + kMinute);
  outcomes.handed_over("c2", HandoverReason::kCustomerAsked, kStart + kMinute);
  outcomes.handed_over("", HandoverReason::kBotFailed, kStart + kMinute);  // never wrote to it
  const auto figures = outcomes.figures(kStart + 31 * kMinute);
  EXPECT_EQ(figures.bot_need_human, 1);
  EXPECT_EQ(figures.customer_asked, 1);
  EXPECT_EQ(figures.bot_failed, 1);
  EXPECT_EQ(figures.handed_over(), 3);
  EXPECT_EQ(figures.resolved, 1);  // c3 only
  EXPECT_DOUBLE_EQ(figures.resolution_rate, 0.25);
}

TEST(BotOutcomes, FiguresCoverTheLastDayAndNothingIsANullRate) {
  BotOutcomes outcomes;
  EXPECT_LT(outcomes.figures(kStart).resolution_rate, 0);
  outcomes.answered("c1", kStart);
  outcomes.handed_over("c1", HandoverReason::kBotNeedHuman, kStart + kMinute);
  EXPECT_EQ(outcomes.figures(kStart + 23 * 60 * kMinute).handed_over(), 1);
  const auto next_day = outcomes.figures(kStart + 25 * 60 * kMinute);
  EXPECT_EQ(next_day.handed_over(), 0);
  EXPECT_EQ(next_day.answered, 0);
  EXPECT_LT(next_day.resolution_rate, 0);
}

TEST(BotOutcomes, OpenConversationsAreBounded) {
  BotOutcomes outcomes;
  const std::size_t many = BotOutcomes::kMaxOpen + 10;
  for (std::size_t i = 0; i < many; ++i)
    outcomes.answered("c" + std::to_string(i), kStart + static_cast<Millis>(i / 1000));
  // The oldest were settled early, as resolved; everything is counted once.
  EXPECT_EQ(outcomes.figures(kStart + 2 * kMinute).resolved, 10);
  EXPECT_EQ(outcomes.figures(kStart + 40 * kMinute).resolved, static_cast<std::int64_t>(many));
}

}  // namespace
}  // namespace aicc::chat
