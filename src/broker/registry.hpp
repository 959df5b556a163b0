// Who is subscribed to what: destination key -> subscribers (pure data structure).
//
// The key of a /topic/** or /queue/** subscription is the destination itself; the key of a user
// destination is user_key(user, "/queue/x"), so a message addressed to one user can only match
// that user's subscriptions. `Handle` is whatever the caller uses to reach a connection (the
// network layer uses a shared pointer); the registry only copies and compares it.
// Not thread-safe: the owner serialises access.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace aicc::broker {

// A key that no client-written destination can equal (it holds a NUL byte, which STOMP headers
// cannot carry).
std::string user_key(std::string_view user_id, std::string_view user_destination);

template <class Handle>
class Registry {
 public:
  struct Entry {
    Handle handle;
    std::string subscription_id;
  };

  void add(const std::string& key, Handle handle, std::string subscription_id) {
    buckets_[key].entries.push_back(Entry{std::move(handle), std::move(subscription_id)});
    ++size_;
  }

  // Removes one subscription; order of the others may change (fan-out order carries no meaning).
  bool remove(const std::string& key, const Handle& handle, std::string_view subscription_id) {
    auto it = buckets_.find(key);
    if (it == buckets_.end()) return false;
    auto& entries = it->second.entries;
    for (std::size_t i = 0; i < entries.size(); ++i) {
      if (entries[i].handle == handle && entries[i].subscription_id == subscription_id) {
        entries[i] = std::move(entries.back());
        entries.pop_back();
        --size_;
        if (entries.empty()) buckets_.erase(it);
        return true;
      }
    }
    return false;
  }

  // Calls f(const Entry&) for every subscriber of `key`.
  template <class F>
  void for_each(const std::string& key, F&& f) const {
    auto it = buckets_.find(key);
    if (it == buckets_.end()) return;
    for (const Entry& entry : it->second.entries) f(entry);
  }

  // Calls f(key, const Entry&) for every subscription.
  template <class F>
  void for_each_key(F&& f) const {
    for (const auto& [key, bucket] : buckets_) {
      for (const Entry& entry : bucket.entries) f(key, entry);
    }
  }

  // The next subscriber of `key` in round-robin order (point-to-point queues).
  std::optional<Entry> next(const std::string& key) {
    auto it = buckets_.find(key);
    if (it == buckets_.end()) return std::nullopt;
    Bucket& bucket = it->second;
    bucket.cursor = (bucket.cursor + 1) % bucket.entries.size();
    return bucket.entries[bucket.cursor];
  }

  std::size_t subscribers(const std::string& key) const {
    auto it = buckets_.find(key);
    return it == buckets_.end() ? 0 : it->second.entries.size();
  }
  std::size_t size() const { return size_; }  // subscriptions in all
  std::size_t destinations() const { return buckets_.size(); }

 private:
  struct Bucket {
    std::vector<Entry> entries;
    std::size_t cursor = 0;  // last index served by next()
  };
  std::unordered_map<std::string, Bucket> buckets_;
  std::size_t size_ = 0;
};

}  // namespace aicc::broker
