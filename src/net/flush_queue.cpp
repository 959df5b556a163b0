#include "net/flush_queue.hpp"

#include <algorithm>
#include <boost/asio/execution/context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/query.hpp>

namespace aicc::net {

namespace asio = boost::asio;

asio::execution_context::id FlushQueue::id;

namespace {
// Storage up to this many entries is always kept.
constexpr std::size_t kKeptCapacity = 4096;
}  // namespace

FlushQueue::FlushQueue(asio::execution_context& context)
    : asio::execution_context::service(context) {}

FlushQueue& FlushQueue::of(const asio::any_io_executor& executor) {
  return asio::use_service<FlushQueue>(asio::query(executor, asio::execution::context));
}

void FlushQueue::enqueue(const asio::any_io_executor& executor, std::shared_ptr<Flushable> target) {
  due_.push_back(std::move(target));
  if (posted_) return;
  posted_ = true;
  asio::post(executor, [this] {
    posted_ = false;
    run_pass();
  });
}

void FlushQueue::delivered(std::size_t count) {
  delivered_since_pass_ += count;
  if (due_.empty()) return;
  if (delivered_since_pass_ >= std::max(kDeliveriesPerPass, kDeliveriesPerWrite * due_.size()))
    run_pass();
}

void FlushQueue::run_pass() {
  // Run from delivered(), the pass still posted finds what is queued since, or nothing.
  ++passes_;
  delivered_since_pass_ = 0;
  // Swapped out first: flush_now() may queue more, for the next pass.
  flushing_.swap(due_);
  for (auto& target : flushing_) {
    std::shared_ptr<Flushable> flushed = std::move(target);
    flushed->flush_now();
    ++flushed_;
  }
  // Storage far larger than this pass needed (a burst's, such as heart-beats on every connection)
  // is given back; what a steady load uses is kept, so a pass allocates nothing.
  const bool oversized =
      flushing_.capacity() > kKeptCapacity && flushing_.capacity() > 4 * flushing_.size();
  flushing_.clear();
  if (oversized) std::vector<std::shared_ptr<Flushable>>().swap(flushing_);
}

void FlushQueue::shutdown() {
  // The io_context is going away: what is queued will not be flushed.
  std::vector<std::shared_ptr<Flushable>>().swap(due_);
  std::vector<std::shared_ptr<Flushable>>().swap(flushing_);
}

}  // namespace aicc::net
