// The frames a connection has yet to write: a ring that grows by doubling and keeps its storage
// while busy, so steady traffic allocates nothing (std::deque allocates and frees a block every
// few frames, and holds one even when empty). release() gives the storage back once idle.
#pragma once

#include <cstddef>
#include <memory>
#include <utility>

#include "stomp/message.hpp"

namespace aicc::net {

class OutboundQueue {
 public:
  bool empty() const { return size_ == 0; }
  std::size_t size() const { return size_; }
  std::size_t capacity() const { return capacity_; }

  stomp::Outbound& front() { return slots_[head_]; }

  void push_back(stomp::Outbound item) {
    if (size_ == capacity_) grow();
    slots_[(head_ + size_) & (capacity_ - 1)] = std::move(item);
    ++size_;
  }

  void pop_front() {
    slots_[head_].reset();  // drops the shared message part now
    head_ = (head_ + 1) & (capacity_ - 1);
    --size_;
  }

  void clear() {
    while (!empty()) pop_front();
    head_ = 0;
  }

  // Frees the storage when nothing is queued.
  void release() {
    if (!empty()) return;
    slots_.reset();
    capacity_ = 0;
    head_ = 0;
  }

 private:
  void grow() {
    const std::size_t capacity = capacity_ == 0 ? 4 : capacity_ * 2;
    auto slots = std::make_unique<stomp::Outbound[]>(capacity);
    for (std::size_t i = 0; i < size_; ++i)
      slots[i] = std::move(slots_[(head_ + i) & (capacity_ - 1)]);
    slots_ = std::move(slots);
    capacity_ = capacity;
    head_ = 0;
  }

  std::unique_ptr<stomp::Outbound[]> slots_;
  std::size_t capacity_ = 0;  // a power of two, or 0
  std::size_t head_ = 0;
  std::size_t size_ = 0;
};

}  // namespace aicc::net
