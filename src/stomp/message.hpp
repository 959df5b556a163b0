// A published message, encoded once and shared by every subscriber it goes to.
//
// A MESSAGE frame is "MESSAGE\n" + per-delivery headers (subscription, message-id, ack) + the part
// every subscriber shares (destination, content-type, content-length, extra headers, blank line,
// body, NUL). The shared part is built once per publish; each delivery only adds its small head.
// Header escaping differs between STOMP versions, so a message whose headers need escaping keeps
// one shared part per version; the usual message needs none and keeps one.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "stomp/frame.hpp"

namespace aicc::stomp {

struct Message {
  std::string destination;  // as subscribers see it, e.g. "/user/queue/errors"
  std::uint64_t seq = 0;    // position in its stream (a room's messages), for replay; 0: none
  // Shared frame tail per version; when all three are the same only tails[0] is filled.
  std::array<std::string, 3> tails;
  bool per_version = false;

  const std::string& tail_for(Version version) const {
    return per_version ? tails[static_cast<std::size_t>(version)] : tails[0];
  }
};

std::shared_ptr<const Message> make_message(std::string destination, std::string_view content_type,
                                            std::string_view body,
                                            const std::vector<Header>& extra_headers = {},
                                            std::uint64_t seq = 0);

// One unit of outbound bytes: the head, then `*shared()` if set. Heads are small and per delivery;
// `shared` points into a Message used by many connections at once, never modified. A MESSAGE head
// is written into the object itself while it fits, so a delivery allocates nothing.
class Outbound {
 public:
  static constexpr std::size_t kInlineHead = 88;

  Outbound() = default;
  Outbound(std::string head, std::shared_ptr<const std::string> shared)
      : heap_head_(std::move(head)), shared_(std::move(shared)) {}

  // Appends to the head: in place while it fits, else on the heap.
  void append_head(std::string_view text) {
    if (heap_head_.empty() && inline_size_ + text.size() <= kInlineHead) {
      text.copy(inline_ + inline_size_, text.size());
      inline_size_ += static_cast<std::uint32_t>(text.size());
      return;
    }
    if (heap_head_.empty()) heap_head_.assign(inline_, inline_size_);
    heap_head_.append(text);
  }
  void set_shared(std::shared_ptr<const std::string> shared) { shared_ = std::move(shared); }
  // Empty again, without touching the inline bytes.
  void reset() {
    if (heap_head_.capacity() > 15)
      std::string().swap(heap_head_);
    else
      heap_head_.clear();
    shared_.reset();
    inline_size_ = 0;
  }

  std::string_view head() const {
    return heap_head_.empty() ? std::string_view(inline_, inline_size_)
                              : std::string_view(heap_head_);
  }
  const std::shared_ptr<const std::string>& shared() const { return shared_; }
  std::size_t size() const { return head().size() + (shared_ ? shared_->size() : 0); }

 private:
  std::string heap_head_;
  std::shared_ptr<const std::string> shared_;
  std::uint32_t inline_size_ = 0;
  char inline_[kInlineHead];
};

}  // namespace aicc::stomp
