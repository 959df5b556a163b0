#include "net/replay_cursor.hpp"

#include <algorithm>
#include <utility>

namespace aicc::net {

ReplayCursor::ReplayCursor(std::uint64_t since, Limits limits)
    : limits_(limits), last_(since), fetched_until_(since) {
  limits_.page_size = std::max<std::size_t>(limits_.page_size, 1);
}

std::optional<std::uint64_t> ReplayCursor::start_read() {
  if (failed() || read_in_flight_ || !fetched_.empty()) return std::nullopt;
  if (end_reached_) {
    // Past the end only when live messages were dropped from the hold that no page has covered:
    // they are in the store, so they are read from there, before anything held after them.
    if (ready_ || dropped_max_ <= fetched_until_) return std::nullopt;
    end_reached_ = false;
  }
  read_in_flight_ = true;
  dropped_at_read_ = dropped_max_;
  return fetched_until_;
}

void ReplayCursor::on_page(std::vector<MessagePtr> page, bool ok) {
  read_in_flight_ = false;
  if (failed()) return;
  if (!ok) {
    failure_ = "the store read failed";
    fetched_.clear();
    held_.clear();
    ready_.reset();
    return;
  }
  const bool short_page = page.size() < limits_.page_size;
  for (MessagePtr& message : page) {
    if (message == nullptr || message->seq <= fetched_until_) continue;
    fetched_until_ = message->seq;
    fetched_.push_back(std::move(message));
  }
  if (!short_page) return;
  // A message dropped from the hold before this read started was stored before the read ran, so
  // the page must have reached it. Reading again would loop; the store lost it.
  if (dropped_at_read_ > fetched_until_) {
    failure_ = "the store has no message for a published seq";
    fetched_.clear();
    held_.clear();
    ready_.reset();
    return;
  }
  end_reached_ = true;
}

void ReplayCursor::on_live(MessagePtr message) {
  if (failed() || message == nullptr) return;
  if (message->seq != 0) {
    if (message->seq <= fetched_until_) return;  // fetched or delivered already
    if (held_messages_ >= limits_.max_held_messages) {
      dropped_max_ = std::max(dropped_max_, message->seq);
      return;
    }
    ++held_messages_;
    held_.push_back(std::move(message));
    return;
  }
  if (held_events_ >= limits_.max_held_events) {
    auto oldest = std::find_if(held_.begin(), held_.end(),
                               [](const MessagePtr& held) { return held->seq == 0; });
    ++dropped_events_;
    if (oldest == held_.end()) return;  // a bound of zero: nothing is held
    held_.erase(oldest);
    --held_events_;
  }
  ++held_events_;
  held_.push_back(std::move(message));
}

const ReplayCursor::MessagePtr& ReplayCursor::peek() {
  while (!ready_ && !failed()) {
    if (!fetched_.empty()) {
      MessagePtr message = std::move(fetched_.front());
      fetched_.pop_front();
      if (message->seq > last_) ready_ = std::move(message);
      continue;
    }
    // What is held follows the store's end, and only once no dropped seq lies beyond it.
    if (!end_reached_ || dropped_max_ > fetched_until_ || held_.empty()) break;
    MessagePtr message = std::move(held_.front());
    held_.pop_front();
    if (message->seq == 0) {
      --held_events_;
      ready_ = std::move(message);
    } else {
      --held_messages_;
      if (message->seq > last_) ready_ = std::move(message);
    }
  }
  return ready_;
}

void ReplayCursor::pop() {
  if (!ready_) return;
  if (ready_->seq != 0) {
    last_ = ready_->seq;
    fetched_until_ = std::max(fetched_until_, last_);
  }
  ready_.reset();
}

bool ReplayCursor::finished() const {
  return !failed() && end_reached_ && !read_in_flight_ && fetched_.empty() && !ready_ &&
         held_.empty() && dropped_max_ <= fetched_until_;
}

}  // namespace aicc::net
