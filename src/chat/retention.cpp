#include "chat/retention.hpp"

#include <string>

namespace aicc::chat {
namespace {

constexpr Millis kDayMs = 24LL * 3600 * 1000;

Millis cutoff(int days, Millis now) { return days > 0 ? now - days * kDayMs : 0; }

}  // namespace

RetentionCutoffs retention_cutoffs(const RetentionDays& days, Millis now) {
  return RetentionCutoffs{
      .chats = cutoff(days.chats, now),
      .attachments = cutoff(days.attachments > 0 ? days.attachments : days.chats, now),
      .audit = cutoff(days.audit, now),
  };
}

RemovedCounts run_retention_pass(ChatStore& store, const RetentionDays& days, std::size_t batch,
                                 Millis now, const std::function<bool()>& stopping,
                                 const std::function<void()>& between) {
  RemovedCounts removed;
  if (!days.any()) return removed;
  const RetentionCutoffs cutoffs = retention_cutoffs(days, now);
  while (!(stopping && stopping())) {
    const RemovedCounts step = store.purge_expired(cutoffs, batch);
    if (step.total() == 0) break;
    removed += step;
    if (between) between();
  }
  return removed;
}

RemovedCounts& RemovedCounts::operator+=(const RemovedCounts& other) {
  conversations += other.conversations;
  rooms += other.rooms;
  messages += other.messages;
  attachments += other.attachments;
  ratings += other.ratings;
  notes += other.notes;
  left_messages += other.left_messages;
  contexts += other.contexts;
  requests += other.requests;
  audit_entries += other.audit_entries;
  return *this;
}

std::string describe(const RemovedCounts& counts) {
  std::string out;
  auto add = [&out](std::size_t n, const char* one, const char* many) {
    if (n == 0) return;
    if (!out.empty()) out += ", ";
    out += std::to_string(n) + ' ' + (n == 1 ? one : many);
  };
  add(counts.conversations, "conversation", "conversations");
  add(counts.rooms, "room", "rooms");
  add(counts.messages, "message", "messages");
  add(counts.attachments, "file", "files");
  add(counts.ratings, "rating", "ratings");
  add(counts.notes, "note", "notes");
  add(counts.left_messages, "left message", "left messages");
  add(counts.contexts, "customer context", "customer contexts");
  add(counts.requests, "request", "requests");
  add(counts.audit_entries, "audit entry", "audit entries");
  return out.empty() ? std::string("nothing") : out;
}

}  // namespace aicc::chat
