// util::SharedState in this process's memory: for one node, where nothing else must see it.
//
// Bounded: at most `max_keys` keys. When a new key finds it full, the expired keys go first; if
// none had expired, the key that would expire soonest makes room (and is counted in evicted()), so
// a flood of tickets or failures can cost memory only up to the bound.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "util/shared_state.hpp"

namespace aicc::util {

class MemorySharedState final : public SharedState {
 public:
  using Clock = std::function<std::int64_t()>;  // unix seconds
  static std::int64_t system_seconds();

  explicit MemorySharedState(std::size_t max_keys = 100'000, Clock clock = system_seconds);

  void put(std::string_view key, std::string_view value, std::int64_t ttl) override;
  std::optional<std::string> take(std::string_view key) override;
  std::optional<std::string> get(std::string_view key) override;
  bool add(std::string_view key, std::int64_t ttl) override;
  std::vector<std::int64_t> events(std::string_view key, std::int64_t now, std::int64_t window,
                                   std::size_t keep, bool record) override;
  Reservation reserve(std::string_view key, std::string_view member, std::int64_t now,
                      std::int64_t window, std::size_t limit) override;
  void release(std::string_view key, std::string_view member) override;
  void clear(std::string_view key) override;

  std::size_t size() const;
  std::uint64_t evicted() const;

 private:
  struct Entry {
    std::string value;
    struct Event {
      std::int64_t at = 0;
      std::string member;  // empty for those events() records
    };
    std::vector<Event> events;    // oldest first
    std::int64_t expires_at = 0;  // unix seconds, this state's clock
  };
  // The live entry under `key`, or null (an expired one is erased).
  Entry* find_locked(const std::string& key, std::int64_t now);
  // Forgets the events at or before now - window.
  static void slide(Entry& entry, std::int64_t now, std::int64_t window);
  static std::vector<std::int64_t> times_of(const Entry& entry);
  // Makes room for one more key.
  void reserve_locked(std::int64_t now);

  const std::size_t max_keys_;
  const Clock clock_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
  std::uint64_t evicted_ = 0;
};

}  // namespace aicc::util
