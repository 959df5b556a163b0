// Catching one subscription up from the store (SUBSCRIBE with since-seq), page by page.
//
// A room may hold far more messages than a connection's outbound queue: the replay is read in
// pages and handed out one message at a time, as fast as the client reads (the connection asks
// for the next message only while its queue is below a low-water mark). Live messages that
// arrive meanwhile are held and follow the replay, without a gap or a repeat. Pure: the
// connection does the reads and the deliveries; this only decides what comes next.
//
// The rules:
// - A page is read after the last delivered seq; a short page (fewer than asked) means the store's
//   end was reached. Then the held live messages follow: those with a seq above the last delivered
//   one, and the seq-0 events (typing, read, joined, closed …) in the order they arrived.
// - The hold is bounded. A live message with a seq that finds it full is dropped, which costs
//   nothing: it is in the store, so the end is not taken as reached until a page has covered the
//   highest dropped seq. Seq-0 events are not stored: past the bound the oldest held event is
//   dropped (in practice typing and read notices, each superseded by the next one). Events keep
//   their order among themselves; a message re-read from the store because it was dropped comes
//   before every held event, also one that arrived ahead of it.
// - A failed read fails the cursor: the connection ends visibly, and the client resumes with
//   since-seq. It never goes live with a gap.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "stomp/message.hpp"

namespace aicc::net {

class ReplayCursor {
 public:
  using MessagePtr = std::shared_ptr<const stomp::Message>;

  struct Limits {
    std::size_t page_size = 128;          // messages asked for per store read, at least 1
    std::size_t max_held_messages = 256;  // live messages with a seq held while catching up
    std::size_t max_held_events = 256;    // live seq-0 events held while catching up
  };

  ReplayCursor(std::uint64_t since, Limits limits);

  // The read to start now: the seq to read after (for limits().page_size messages), or nothing
  // when none is due (a read is in flight, fetched messages wait, the end was reached, or the
  // cursor failed). A returned read counts as in flight until on_page().
  std::optional<std::uint64_t> start_read();
  // The read started last came back: its messages (oldest first), or `ok` false when the store
  // failed.
  void on_page(std::vector<MessagePtr> page, bool ok);
  // A live message of the subscription arrived; it waits until the replay is delivered.
  void on_live(MessagePtr message);

  // The next message to deliver, or null when none is ready now (a read is due or in flight, or
  // the cursor is finished or failed). The same message until pop().
  const MessagePtr& peek();
  // Takes the message peek() returned (non-null) as delivered.
  void pop();

  // Everything fetched and held is delivered and the store's end was reached: the subscription
  // is live from here on.
  bool finished() const;
  bool failed() const { return !failure_.empty(); }
  // Why the cursor failed, for the log; empty while it has not.
  std::string_view failure() const { return failure_; }
  const Limits& limits() const { return limits_; }
  std::uint64_t last_seq() const { return last_; }
  std::size_t dropped_events() const { return dropped_events_; }

 private:
  Limits limits_;
  std::uint64_t last_;                 // seq of the last message delivered (or `since`)
  std::deque<MessagePtr> fetched_;     // read from the store, not yet delivered; seqs ascending
  std::uint64_t fetched_until_;        // highest seq fetched or delivered (or `since`), >= last_
  std::deque<MessagePtr> held_;        // live messages and events, in arrival order
  std::size_t held_messages_ = 0;      // entries of held_ with a seq
  std::size_t held_events_ = 0;        // entries of held_ with seq 0
  MessagePtr ready_;                   // what peek() returned, not yet popped
  std::uint64_t dropped_max_ = 0;      // highest seq dropped from the hold (0: none)
  std::uint64_t dropped_at_read_ = 0;  // dropped_max_ when the read in flight started
  std::size_t dropped_events_ = 0;     // seq-0 events dropped from the hold, for the log
  bool read_in_flight_ = false;
  bool end_reached_ = false;  // the last page was short
  std::string_view failure_;  // why the cursor failed (static text); empty: it has not
};

}  // namespace aicc::net
