#include "util/memory_shared_state.hpp"

#include <algorithm>
#include <chrono>
#include <stdexcept>

namespace aicc::util {

std::int64_t MemorySharedState::system_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

MemorySharedState::MemorySharedState(std::size_t max_keys, Clock clock)
    : max_keys_(max_keys), clock_(std::move(clock)) {
  if (max_keys_ == 0) throw std::invalid_argument("MemorySharedState needs room for a key");
}

MemorySharedState::Entry* MemorySharedState::find_locked(const std::string& key, std::int64_t now) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return nullptr;
  if (it->second.expires_at <= now) {
    entries_.erase(it);
    return nullptr;
  }
  return &it->second;
}

void MemorySharedState::reserve_locked(std::int64_t now) {
  if (entries_.size() < max_keys_) return;
  std::erase_if(entries_, [now](const auto& entry) { return entry.second.expires_at <= now; });
  while (entries_.size() >= max_keys_) {
    auto soonest = std::min_element(
        entries_.begin(), entries_.end(),
        [](const auto& a, const auto& b) { return a.second.expires_at < b.second.expires_at; });
    entries_.erase(soonest);
    ++evicted_;
  }
}

void MemorySharedState::put(std::string_view key, std::string_view value, std::int64_t ttl) {
  const std::int64_t now = clock_();
  std::lock_guard lock(mutex_);
  std::string name(key);
  if (!find_locked(name, now)) reserve_locked(now);
  Entry& entry = entries_[std::move(name)];
  entry.value.assign(value);
  entry.events.clear();
  entry.expires_at = now + std::max<std::int64_t>(ttl, 1);
}

std::optional<std::string> MemorySharedState::take(std::string_view key) {
  const std::int64_t now = clock_();
  std::lock_guard lock(mutex_);
  const std::string name(key);
  Entry* entry = find_locked(name, now);
  if (!entry) return std::nullopt;
  std::string value = std::move(entry->value);
  entries_.erase(name);
  return value;
}

std::optional<std::string> MemorySharedState::get(std::string_view key) {
  const std::int64_t now = clock_();
  std::lock_guard lock(mutex_);
  const Entry* entry = find_locked(std::string(key), now);
  if (!entry) return std::nullopt;
  return entry->value;
}

bool MemorySharedState::add(std::string_view key, std::int64_t ttl) {
  const std::int64_t now = clock_();
  std::lock_guard lock(mutex_);
  std::string name(key);
  if (find_locked(name, now)) return false;
  reserve_locked(now);
  entries_[std::move(name)].expires_at = now + std::max<std::int64_t>(ttl, 1);
  return true;
}

std::vector<std::int64_t> MemorySharedState::events(std::string_view key, std::int64_t now,
                                                    std::int64_t window, std::size_t keep,
                                                    bool record) {
  const std::int64_t clock_now = clock_();
  std::lock_guard lock(mutex_);
  std::string name(key);
  Entry* entry = find_locked(name, clock_now);
  if (!entry) {
    if (!record) return {};
    reserve_locked(clock_now);
    entry = &entries_[std::move(name)];
  }
  auto& events = entry->events;
  slide(*entry, now, window);
  if (record) {
    const auto at =
        std::upper_bound(events.begin(), events.end(), now,
                         [](std::int64_t t, const Entry::Event& e) { return t < e.at; });
    events.insert(at, Entry::Event{now, {}});
    entry->expires_at = clock_now + std::max<std::int64_t>(window, 1);
  }
  if (events.size() > keep) events.erase(events.begin(), events.end() - static_cast<long>(keep));
  return times_of(*entry);
}

SharedState::Reservation MemorySharedState::reserve(std::string_view key, std::string_view member,
                                                    std::int64_t now, std::int64_t window,
                                                    std::size_t limit) {
  const std::int64_t clock_now = clock_();
  std::lock_guard lock(mutex_);
  std::string name(key);
  Entry* entry = find_locked(name, clock_now);
  if (!entry) {
    reserve_locked(clock_now);
    entry = &entries_[std::move(name)];
    entry->expires_at = clock_now + std::max<std::int64_t>(window, 1);
  }
  slide(*entry, now, window);
  Reservation result;
  if (entry->events.size() < limit) {
    auto& events = entry->events;
    const auto at =
        std::upper_bound(events.begin(), events.end(), now,
                         [](std::int64_t t, const Entry::Event& e) { return t < e.at; });
    events.insert(at, Entry::Event{now, std::string(member)});
    entry->expires_at = clock_now + std::max<std::int64_t>(window, 1);
    result.recorded = true;
  }
  result.times = times_of(*entry);
  return result;
}

void MemorySharedState::release(std::string_view key, std::string_view member) {
  const std::int64_t clock_now = clock_();
  std::lock_guard lock(mutex_);
  Entry* entry = find_locked(std::string(key), clock_now);
  if (!entry) return;
  std::erase_if(entry->events, [&](const Entry::Event& e) { return e.member == member; });
}

void MemorySharedState::slide(Entry& entry, std::int64_t now, std::int64_t window) {
  std::erase_if(entry.events, [&](const Entry::Event& e) { return e.at <= now - window; });
}

std::vector<std::int64_t> MemorySharedState::times_of(const Entry& entry) {
  std::vector<std::int64_t> times;
  times.reserve(entry.events.size());
  for (const auto& event : entry.events) times.push_back(event.at);
  return times;
}

void MemorySharedState::clear(std::string_view key) {
  std::lock_guard lock(mutex_);
  entries_.erase(std::string(key));
}

std::size_t MemorySharedState::size() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

std::uint64_t MemorySharedState::evicted() const {
  std::lock_guard lock(mutex_);
  return evicted_;
}

}  // namespace aicc::util
