#include "chat/bot_outcomes.hpp"

namespace aicc::chat {

std::string_view to_string(HandoverReason reason) {
  switch (reason) {
    case HandoverReason::kBotNeedHuman:
      return "botNeedHuman";
    case HandoverReason::kBotFailed:
      return "botFailed";
    case HandoverReason::kCustomerAsked:
      return "customerAsked";
  }
  return "customerAsked";
}

BotOutcomes::BotOutcomes()
    : answered_(kWindow),
      resolved_(kWindow),
      need_human_(kWindow),
      failed_(kWindow),
      customer_asked_(kWindow) {}

void BotOutcomes::answered(const std::string& conversation_id, Millis now) {
  answered_.add(now);
  settle(now);
  while (order_.size() >= 2 * kMaxOpen ||
         (open_.size() >= kMaxOpen && !open_.contains(conversation_id)))
    settle_oldest();
  open_[conversation_id] = now;
  order_.emplace_back(now, conversation_id);
}

void BotOutcomes::handed_over(const std::string& conversation_id, HandoverReason reason,
                              Millis now) {
  settle(now);
  if (!conversation_id.empty()) open_.erase(conversation_id);
  switch (reason) {
    case HandoverReason::kBotNeedHuman:
      need_human_.add(now);
      break;
    case HandoverReason::kBotFailed:
      failed_.add(now);
      break;
    case HandoverReason::kCustomerAsked:
      customer_asked_.add(now);
      break;
  }
}

void BotOutcomes::settle_oldest() {
  auto [at, conversation_id] = std::move(order_.front());
  order_.pop_front();
  const auto open = open_.find(conversation_id);
  if (open == open_.end() || open->second != at) return;  // answered again since, or handed over
  open_.erase(open);
  resolved_.add(at + kResolvedAfter);
}

void BotOutcomes::settle(Millis now) {
  while (!order_.empty() && order_.front().first + kResolvedAfter <= now) settle_oldest();
}

BotOutcomeFigures BotOutcomes::figures(Millis now) {
  settle(now);
  BotOutcomeFigures figures{.answered = answered_.total(now),
                            .resolved = resolved_.total(now),
                            .bot_need_human = need_human_.total(now),
                            .bot_failed = failed_.total(now),
                            .customer_asked = customer_asked_.total(now)};
  const std::int64_t settled = figures.resolved + figures.handed_over();
  if (settled > 0)
    figures.resolution_rate = static_cast<double>(figures.resolved) / static_cast<double>(settled);
  return figures;
}

}  // namespace aicc::chat
