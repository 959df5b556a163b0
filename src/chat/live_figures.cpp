#include "chat/live_figures.hpp"

#include <algorithm>

#include "util/time.hpp"

namespace aicc::chat {
namespace {

constexpr Millis kSecond = 1000;

// Division rounding towards minus infinity / plus infinity (b > 0), so that times before 1970 in
// tests still fall into the right second or slot.
using util::floor_div;
Millis ceil_div(Millis a, Millis b) { return -floor_div(-a, b); }

// The 30 s sample boundary at or after `at`: every change in one slot is seen by the same
// boundaries, so only the last change of a slot needs keeping.
Millis slot_of(Millis at) { return ceil_div(at, LiveFigures::kQueueSampleEvery); }

}  // namespace

void SlidingCount::add(Millis now, std::int64_t count) {
  const Millis second = floor_div(now, kSecond);
  // A clock that stepped back adds to the newest bucket, so the buckets stay in order.
  if (!buckets_.empty() && buckets_.back().first >= second) {
    buckets_.back().second += count;
  } else {
    buckets_.emplace_back(second, count);
  }
  prune(now);
}

std::int64_t SlidingCount::total(Millis now) {
  prune(now);
  std::int64_t sum = 0;
  for (const auto& [second, count] : buckets_) sum += count;
  return sum;
}

void SlidingCount::prune(Millis now) {
  // The first second that lies wholly after now - window.
  const Millis first = floor_div(now - window_, kSecond) + 1;
  while (!buckets_.empty() && buckets_.front().first < first) buckets_.pop_front();
}

LiveFigures::LiveFigures()
    : messages_(kMessageWindow),
      assignments_(kAssignWindow),
      asked_(kBotWindow),
      failed_(kBotWindow) {}

void LiveFigures::message(Millis now) { messages_.add(now); }
void LiveFigures::bot_asked(Millis now) { asked_.add(now); }
void LiveFigures::bot_failed(Millis now) { failed_.add(now); }

void LiveFigures::assigned(Millis now) { assignments_.add(now); }

std::optional<Millis> LiveFigures::expected_wait(std::int64_t position, Millis now) {
  const std::int64_t count = assignments_.total(now);
  if (position < 1 || count < 2) return std::nullopt;
  return position * kAssignWindow / count;
}

std::int64_t LiveFigures::messages_per_minute(Millis now) { return messages_.total(now); }

BotFigures LiveFigures::bot(Millis now) {
  BotFigures figures{.asked = asked_.total(now), .failed = failed_.total(now)};
  // An apology may outlive the ask it answered by the bot timeout at the window's edge.
  if (figures.asked > 0) {
    figures.failure_rate =
        std::min(1.0, static_cast<double>(figures.failed) / static_cast<double>(figures.asked));
  } else if (figures.failed > 0) {
    figures.failure_rate = 1.0;
  }
  return figures;
}

void LiveFigures::queue_length(std::size_t waiting, Millis now) {
  if (!changes_.empty()) {
    now = std::max(now, changes_.back().at);  // keep the history in order if the clock steps back
    if (changes_.back().waiting != waiting) {
      if (slot_of(changes_.back().at) == slot_of(now)) {
        changes_.back() = QueueSample{now, waiting};
        // Back to the value before that change: the change itself never reached a boundary.
        if (changes_.size() >= 2 && changes_[changes_.size() - 2].waiting == waiting)
          changes_.pop_back();
      } else {
        changes_.push_back(QueueSample{now, waiting});
      }
    }
  } else {
    changes_.push_back(QueueSample{now, waiting});
  }
  // The first entry is needed only while no later one is at or before the hour's start.
  while (changes_.size() >= 2 && changes_[1].at <= now - kQueueHistory) changes_.pop_front();
}

std::vector<QueueSample> LiveFigures::queue_history(Millis now) {
  std::vector<QueueSample> samples;
  if (changes_.empty()) return samples;
  while (changes_.size() >= 2 && changes_[1].at <= now - kQueueHistory) changes_.pop_front();
  // Boundaries after now - hour and before now; `now` itself comes last with the current value.
  const Millis first = floor_div(now - kQueueHistory, kQueueSampleEvery) + 1;
  const Millis last = ceil_div(now, kQueueSampleEvery) - 1;
  std::size_t next = 0;  // the first change after the boundary looked at
  for (Millis k = first; k <= last; ++k) {
    const Millis boundary = k * kQueueSampleEvery;
    while (next < changes_.size() && changes_[next].at <= boundary) ++next;
    if (next == 0) continue;  // before the first known value
    samples.push_back(QueueSample{boundary, changes_[next - 1].waiting});
  }
  samples.push_back(QueueSample{now, changes_.back().waiting});
  return samples;
}

}  // namespace aicc::chat
