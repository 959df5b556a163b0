// Short-lived state that every node of a cluster must see the same: single-use WebSocket tickets,
// failed-login counts and the webhook replay cache. One node keeps it in its memory
// (util/memory_shared_state.hpp); several nodes keep it in Redis (net/redis_shared_state.hpp), so
// that a ticket issued by one node is redeemed once on any node and a limit is not multiplied by
// the number of nodes.
//
// Every call may block (a network round trip) and may throw SharedStateUnavailable when the state
// cannot be reached; callers run it off the I/O threads and refuse what they cannot check (a
// security check never passes because its state was out of reach).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace aicc::util {

class SharedStateUnavailable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class SharedState {
 public:
  virtual ~SharedState() = default;

  // Keeps `value` under `key` for `ttl` seconds, replacing what was there.
  virtual void put(std::string_view key, std::string_view value, std::int64_t ttl) = 0;
  // The value under `key`, removed in the same step: of several takers on any node exactly one
  // gets it. nullopt when absent or expired.
  virtual std::optional<std::string> take(std::string_view key) = 0;
  // The value under `key`, left in place. nullopt when absent or expired.
  virtual std::optional<std::string> get(std::string_view key) = 0;
  // Records `key` for `ttl` seconds if it is not there: true when it was absent (the first time),
  // false when it was already recorded.
  virtual bool add(std::string_view key, std::int64_t ttl) = 0;
  // A sliding window of event times (unix seconds, the caller's clock) under `key`: forgets the
  // events at or before now - window, records one at `now` when `record`, keeps at most the `keep`
  // newest, and answers those left, oldest first. The key lives `window` seconds past its last
  // change.
  virtual std::vector<std::int64_t> events(std::string_view key, std::int64_t now,
                                           std::int64_t window, std::size_t keep, bool record) = 0;
  // The same window, checked and changed in one step: records an event at `now` named `member`
  // only while fewer than `limit` lie in the window, so that attempts made at once on several
  // nodes cannot all pass a check before any of them is counted.
  struct Reservation {
    bool recorded = false;
    std::vector<std::int64_t> times;  // in the window after the call, oldest first
  };
  virtual Reservation reserve(std::string_view key, std::string_view member, std::int64_t now,
                              std::int64_t window, std::size_t limit) = 0;
  // Forgets the event `member` of `key` (a reservation that did not count after all).
  virtual void release(std::string_view key, std::string_view member) = 0;
  // Forgets `key` (whatever it holds).
  virtual void clear(std::string_view key) = 0;
};

}  // namespace aicc::util
