// What a contact center judges its bot by, over the last day (GET /api/admin/stats, "botOutcomes"):
// how many conversations the bot saw through alone, how many reached a person and why, and (with
// the store's ratings) how satisfied customers were after each.
//
// A conversation the bot answered counts as resolved by the bot once kResolvedAfter passed after
// its last answer with no consult request; a request made meanwhile counts it as handed over,
// under its reason: the bot's `needHuman`, the bot failing (its apology), or the customer asking
// on their own.
//
// Pure and clock-free like LiveFigures (every call takes `now`); owned by the contact center on
// its executor. Bounded: at most kMaxOpen conversations wait to be settled (past that the oldest
// is settled early, as resolved), and the counts are SlidingCounts of one-second buckets.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "chat/live_figures.hpp"

namespace aicc::chat {

enum class HandoverReason { kBotNeedHuman, kBotFailed, kCustomerAsked };
std::string_view to_string(HandoverReason reason);  // "botNeedHuman", "botFailed", "customerAsked"

struct BotOutcomeFigures {
  std::int64_t answered = 0;  // bot answers delivered (not apologies)
  std::int64_t resolved = 0;  // conversations the bot saw through alone
  std::int64_t bot_need_human = 0;
  std::int64_t bot_failed = 0;
  std::int64_t customer_asked = 0;
  std::int64_t handed_over() const { return bot_need_human + bot_failed + customer_asked; }
  // resolved / (resolved + handed over); nullopt-like -1 when neither happened.
  double resolution_rate = -1;
};

class BotOutcomes {
 public:
  static constexpr Millis kWindow = 24 * 60 * 60'000;
  static constexpr Millis kResolvedAfter = 30 * 60'000;
  static constexpr std::size_t kMaxOpen = 200'000;

  BotOutcomes();

  // The bot answered in `conversation_id` (not an apology).
  void answered(const std::string& conversation_id, Millis now);
  // A consult request was opened for the customer of `conversation_id` (may be empty: a customer
  // who never wrote to the bot).
  void handed_over(const std::string& conversation_id, HandoverReason reason, Millis now);
  BotOutcomeFigures figures(Millis now);

 private:
  void settle(Millis now);
  void settle_oldest();

  SlidingCount answered_;
  SlidingCount resolved_;
  SlidingCount need_human_;
  SlidingCount failed_;
  SlidingCount customer_asked_;
  // Conversations the bot answered and no request followed yet: the last answer's time, and the
  // answers in time order (an entry is stale when a later answer or a request came since).
  std::unordered_map<std::string, Millis> open_;
  std::deque<std::pair<Millis, std::string>> order_;
};

}  // namespace aicc::chat
