#include "chat/live_figures.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace aicc::chat {
namespace {

// A fake clock: a whole minute, so that the 30 s boundaries and seconds fall on round numbers.
constexpr Millis kFiguresT0 = 1'700'000'040'000;
static_assert(kFiguresT0 % 60'000 == 0);

std::vector<std::size_t> values(const std::vector<QueueSample>& samples) {
  std::vector<std::size_t> out;
  for (const auto& sample : samples) out.push_back(sample.waiting);
  return out;
}

TEST(SlidingCount, CountsEventsOfTheTrailingWindowToTheSecond) {
  SlidingCount count(60'000);
  EXPECT_EQ(count.total(kFiguresT0), 0);
  count.add(kFiguresT0);
  count.add(kFiguresT0 + 500);
  count.add(kFiguresT0 + 1'000, 3);
  EXPECT_EQ(count.total(kFiguresT0 + 1'000), 5);
  // The second of kFiguresT0 lies wholly in (now - 60 s, now] until now reaches kFiguresT0 + 60 s.
  EXPECT_EQ(count.total(kFiguresT0 + 59'999), 5);
  EXPECT_EQ(count.total(kFiguresT0 + 60'000), 3);
  EXPECT_EQ(count.total(kFiguresT0 + 61'000), 0);
}

TEST(SlidingCount, AClockSteppingBackStillCounts) {
  SlidingCount count(60'000);
  count.add(kFiguresT0 + 10'000);
  count.add(kFiguresT0);  // earlier than the last event: counted in the newest bucket
  EXPECT_EQ(count.total(kFiguresT0 + 10'000), 2);
}

TEST(SlidingCount, KeepsOneBucketPerSecondWhateverTheRate) {
  SlidingCount count(60'000);
  for (int i = 0; i < 100'000; ++i) count.add(kFiguresT0 + i % 1000);
  EXPECT_EQ(count.total(kFiguresT0 + 999), 100'000);
}

TEST(LiveFigures, MessagesPerMinuteCountsTheLastSixtySeconds) {
  LiveFigures figures;
  EXPECT_EQ(figures.messages_per_minute(kFiguresT0), 0);
  for (int i = 0; i < 30; ++i)
    figures.message(kFiguresT0 + i * 2'000);  // one every 2 s for a minute
  EXPECT_EQ(figures.messages_per_minute(kFiguresT0 + 59'000), 30);
  EXPECT_EQ(figures.messages_per_minute(kFiguresT0 + 60'000 + 29'000), 15);
  EXPECT_EQ(figures.messages_per_minute(kFiguresT0 + 10 * 60'000), 0);
}

TEST(LiveFigures, BotFailureRateOverFifteenMinutes) {
  LiveFigures figures;
  EXPECT_EQ(figures.bot(kFiguresT0).asked, 0);
  EXPECT_EQ(figures.bot(kFiguresT0).failure_rate, 0.0);
  for (int i = 0; i < 8; ++i) figures.bot_asked(kFiguresT0 + i * 1'000);
  figures.bot_failed(kFiguresT0 + 1'000);
  figures.bot_failed(kFiguresT0 + 2'000);
  BotFigures now = figures.bot(kFiguresT0 + 10'000);
  EXPECT_EQ(now.asked, 8);
  EXPECT_EQ(now.failed, 2);
  EXPECT_DOUBLE_EQ(now.failure_rate, 0.25);

  // Later failures in a fresh window: the old asks have aged out.
  const Millis later = kFiguresT0 + 16 * 60'000;
  EXPECT_EQ(figures.bot(later).asked, 0);
  figures.bot_asked(later);
  figures.bot_failed(later);
  EXPECT_DOUBLE_EQ(figures.bot(later).failure_rate, 1.0);
}

TEST(LiveFigures, FailureRateNeverPassesOne) {
  LiveFigures figures;
  figures.bot_asked(kFiguresT0);
  figures.bot_failed(kFiguresT0 + 15 * 60'000 - 1'000);  // the ask ages out before its apology
  EXPECT_DOUBLE_EQ(figures.bot(kFiguresT0 + 15 * 60'000).failure_rate, 1.0);
  EXPECT_EQ(figures.bot(kFiguresT0 + 15 * 60'000).asked, 0);
}

TEST(LiveFigures, QueueHistoryIsEmptyBeforeAnyValue) {
  LiveFigures figures;
  EXPECT_TRUE(figures.queue_history(kFiguresT0).empty());
}

TEST(LiveFigures, QueueHistorySamplesEveryThirtySecondsThenTheCurrentValue) {
  LiveFigures figures;
  figures.queue_length(0, kFiguresT0);           // the server starts
  figures.queue_length(2, kFiguresT0 + 10'000);  // between boundaries 0 and 30 s
  figures.queue_length(5, kFiguresT0 + 30'000);  // on the 30 s boundary: seen by it
  figures.queue_length(1, kFiguresT0 + 75'000);
  const auto samples = figures.queue_history(kFiguresT0 + 100'000);
  // Boundaries kFiguresT0, +30, +60, +90 s, then now.
  ASSERT_EQ(samples.size(), 5u);
  EXPECT_EQ(samples[0].at, kFiguresT0);
  EXPECT_EQ(samples[3].at, kFiguresT0 + 90'000);
  EXPECT_EQ(samples[4].at, kFiguresT0 + 100'000);
  EXPECT_EQ(values(samples), (std::vector<std::size_t>{0, 5, 5, 1, 1}));
}

TEST(LiveFigures, QueueHistoryCoversTheLastHourOnly) {
  LiveFigures figures;
  figures.queue_length(3, kFiguresT0);
  figures.queue_length(4, kFiguresT0 + 2 * 3'600'000);
  const Millis now = kFiguresT0 + 3 * 3'600'000 + 15'000;
  const auto samples = figures.queue_history(now);
  // 120 boundaries in (now - 1 h, now), then now.
  ASSERT_EQ(samples.size(), 121u);
  EXPECT_GT(samples.front().at, now - LiveFigures::kQueueHistory);
  for (std::size_t i = 1; i + 1 < samples.size(); ++i) {
    EXPECT_EQ(samples[i].at - samples[i - 1].at, LiveFigures::kQueueSampleEvery);
  }
  for (const auto& sample : samples) EXPECT_EQ(sample.waiting, 4u);
}

TEST(LiveFigures, QueueHistoryKnowsTheValueFromBeforeTheHour) {
  LiveFigures figures;
  figures.queue_length(7, kFiguresT0);
  // Now on a boundary: the 119 boundaries strictly inside the hour, then now.
  const auto samples = figures.queue_history(kFiguresT0 + 2 * 3'600'000);
  ASSERT_EQ(samples.size(), 120u);
  for (const auto& sample : samples) EXPECT_EQ(sample.waiting, 7u);
}

TEST(LiveFigures, ManyChangesWithinOneSlotKeepOnlyTheLast) {
  LiveFigures figures;
  figures.queue_length(0, kFiguresT0);
  for (int i = 0; i < 100'000; ++i)
    figures.queue_length(static_cast<std::size_t>(i % 7), kFiguresT0 + 1 + i % 29'000);
  figures.queue_length(9, kFiguresT0 + 29'999);
  const auto samples = figures.queue_history(kFiguresT0 + 31'000);
  EXPECT_EQ(values(samples), (std::vector<std::size_t>{0, 9, 9}));
}

TEST(LiveFigures, AChangeUndoneWithinItsSlotLeavesNoTrace) {
  LiveFigures figures;
  figures.queue_length(1, kFiguresT0);
  figures.queue_length(4, kFiguresT0 + 5'000);
  figures.queue_length(1, kFiguresT0 + 6'000);
  figures.queue_length(2, kFiguresT0 + 45'000);
  EXPECT_EQ(values(figures.queue_history(kFiguresT0 + 70'000)),
            (std::vector<std::size_t>{1, 1, 2, 2}));
}

// The expected wait goes by the pace of the last 30 minutes' assignments: six in the window is
// one every five minutes, so the third in line waits about fifteen.
TEST(LiveFigures, ExpectedWaitFollowsThePaceOfRecentAssignments) {
  LiveFigures figures;
  EXPECT_FALSE(figures.expected_wait(1, kFiguresT0));  // no pace yet
  figures.assigned(kFiguresT0);
  EXPECT_FALSE(figures.expected_wait(1, kFiguresT0 + 1));  // one is no pace either
  for (int i = 1; i < 6; ++i) figures.assigned(kFiguresT0 + i * 60'000);
  EXPECT_EQ(figures.expected_wait(3, kFiguresT0 + 360'000), 15 * 60'000);
  EXPECT_EQ(figures.expected_wait(1, kFiguresT0 + 360'000), 5 * 60'000);
  EXPECT_FALSE(figures.expected_wait(0, kFiguresT0 + 360'000));
  // Past the window the old pace is forgotten.
  EXPECT_FALSE(figures.expected_wait(1, kFiguresT0 + LiveFigures::kAssignWindow + 400'000));
}

}  // namespace
}  // namespace aicc::chat
