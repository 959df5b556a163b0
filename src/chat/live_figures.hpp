// Live figures for the supervisor page (GET /api/admin/stats): messages per minute, how often the
// bot failed lately, and how long the queue was over the last hour.
//
// Pure and clock-free like the routing engine: every call takes `now` (unix ms), so the tests drive
// it with a fake clock. The contact center owns one on its service executor (no lock), tells it
// about each message, bot call, apology and queue change as they happen, and reads it when asked.
//
// Memory is bounded whatever the traffic: counts are kept in one-second buckets (at most one per
// second of the window), and the queue history keeps at most one change per 30 s sample slot.
//
// Table of contents: `SlidingCount` (events in a trailing window, to the second); `LiveFigures`
// (what is counted, and the figures read back).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <utility>
#include <vector>

#include "chat/routing.hpp"

namespace aicc::chat {

// How many events happened in the last `window` ms, to the second: an event counts while the
// second it happened in lies wholly inside (now - window, now]. Older buckets are dropped as time
// passes.
class SlidingCount {
 public:
  explicit SlidingCount(Millis window) : window_(window) {}

  void add(Millis now, std::int64_t count = 1);
  std::int64_t total(Millis now);

 private:
  void prune(Millis now);

  Millis window_;                                        // ms, > 0
  std::deque<std::pair<Millis, std::int64_t>> buckets_;  // (unix second, events), oldest first
};

// One point of the queue history: how many requests waited at `at`.
struct QueueSample {
  Millis at = 0;  // unix ms: a 30 s boundary, or `now` for the last point
  std::size_t waiting = 0;
};

struct BotFigures {
  std::int64_t asked = 0;     // customer messages handed to the bot in the window
  std::int64_t failed = 0;    // apologies sent because the bot timed out, failed or its circuit
                              // was open
  double failure_rate = 0.0;  // failed / asked, 0 when nothing was asked, at most 1
};

class LiveFigures {
 public:
  static constexpr Millis kMessageWindow = 60'000;      // messagesPerMinute
  static constexpr Millis kBotWindow = 15 * 60'000;     // bot asked / failed
  static constexpr Millis kQueueHistory = 60 * 60'000;  // how far back queueHistory goes
  static constexpr Millis kQueueSampleEvery = 30'000;   // one point per boundary of this
  static constexpr Millis kAssignWindow = 30 * 60'000;  // assignments the expected wait is from

  LiveFigures();

  // A chat message was stored: customer or agent in a room, customer to the bot, or a bot answer.
  void message(Millis now);
  // A customer message was handed to the bot.
  void bot_asked(Millis now);
  // The apology was delivered in place of the bot's answer.
  void bot_failed(Millis now);
  // A waiting request was given to an agent (accepted or auto-assigned).
  void assigned(Millis now);
  // The queue holds `waiting` requests from `now` on; call whenever it may have changed
  // (repeating an unchanged value is free).
  void queue_length(std::size_t waiting, Millis now);

  std::int64_t messages_per_minute(Millis now);
  BotFigures bot(Millis now);
  // The queue length at every 30 s boundary within the last hour (oldest first; boundaries before
  // the first queue_length call are left out), then its value at `now`. Empty before any
  // queue_length call.
  std::vector<QueueSample> queue_history(Millis now);
  // How long the customer at `position` (1: next) may still wait, from the pace of assignments
  // over the last kAssignWindow: position × the window / assignments in it. Nullopt with fewer
  // than two assignments in the window (no pace to go by), or for a position below 1.
  std::optional<Millis> expected_wait(std::int64_t position, Millis now);

 private:
  SlidingCount messages_;
  SlidingCount assignments_;
  SlidingCount asked_;
  SlidingCount failed_;
  // Queue changes (time, new length), oldest first. Only the last change before each sample
  // boundary matters, so a change in the same 30 s slot as the previous one replaces it; the
  // first entry may lie before the hour (it gives the value at the first boundary inside it).
  std::deque<QueueSample> changes_;
};

}  // namespace aicc::chat
