#include "net/flush_queue.hpp"

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
  ++passes_;
  asio::post(executor, [this, executor] { run_turn(executor); });
}

void FlushQueue::run_turn(const asio::any_io_executor& executor) {
  const std::size_t end = std::min(due_.size(), next_ + kPerTurn);
  while (next_ < end) {
    // Moved out first: flush_now() may queue more (into due_, which may grow).
    std::shared_ptr<Flushable> target = std::move(due_[next_++]);
    target->flush_now();
    ++flushed_;
  }
  if (next_ < due_.size()) {
    // The rest after the reactor's turn: what arrives meanwhile joins their writes.
    asio::post(executor, [this, executor] { run_turn(executor); });
    return;
  }
  // Storage far larger than this pass needed (a burst's, such as heart-beats on every connection)
  // is given back; what a steady load uses is kept, so a pass allocates nothing.
  const bool oversized = due_.capacity() > kKeptCapacity && due_.capacity() > 4 * due_.size();
  due_.clear();
  next_ = 0;
  if (oversized) std::vector<std::shared_ptr<Flushable>>().swap(due_);
  posted_ = false;
}

void FlushQueue::shutdown() {
  // The io_context is going away: what is queued will not be flushed.
  std::vector<std::shared_ptr<Flushable>>().swap(due_);
  next_ = 0;
}

}  // namespace aicc::net
