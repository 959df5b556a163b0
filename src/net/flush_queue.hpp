// Corked writes: the transports of one I/O thread are flushed in passes, a few at a time, with
// the reactor polled between them, instead of one write per message per connection.
//
// Why: with a paced publisher every message used to go out on its own, one writev per subscriber
// per message, and on loopback the receiver's TCP processing runs inside that call. The server's
// core filled up at a quarter of the rate it reaches flat out, and latency collapsed. Redis
// (write before sleep) and uWebSockets (cork) batch by readiness: handle what is ready, then
// write each connection once. Here a connection with output joins its thread's queue once; a
// pass flushes kPerTurn of them and lets the reactor run before the next, so messages published
// meanwhile join the writes still waiting. At light load a message goes out at once (one pass
// right after the delivery); under load each write carries what arrived since the last one, and
// batching grows with the load without a timer (no Nagle of our own).
//
// One queue per io_context (an Asio service); every call is made on the thread that runs it
// (the server runs each io_context on one thread).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/execution_context.hpp>
#include <cstddef>
#include <memory>
#include <vector>

namespace aicc::net {

// A transport that has output to write.
class Flushable {
 public:
  virtual ~Flushable() = default;
  // Its turn in a pass: write what the connection has queued.
  virtual void flush_now() = 0;
};

class FlushQueue final : public boost::asio::execution_context::service {
 public:
  using key_type = FlushQueue;
  static boost::asio::execution_context::id id;
  // Connections flushed per turn of the event loop before the reactor runs again.
  static constexpr std::size_t kPerTurn = 32;

  explicit FlushQueue(boost::asio::execution_context& context);

  // The queue of the io_context behind `executor`.
  static FlushQueue& of(const boost::asio::any_io_executor& executor);

  // Queues `target` for a pass on `executor` (its own). The caller queues it once until its
  // flush_now() runs.
  void enqueue(const boost::asio::any_io_executor& executor, std::shared_ptr<Flushable> target);

  // Passes run so far, and the connections flushed in them (for tests and metrics).
  std::size_t passes() const { return passes_; }
  std::size_t flushed() const { return flushed_; }

 private:
  void shutdown() override;
  void run_turn(const boost::asio::any_io_executor& executor);

  std::vector<std::shared_ptr<Flushable>> due_;
  std::size_t next_ = 0;  // the first in due_ not flushed yet
  bool posted_ = false;
  std::size_t passes_ = 0;
  std::size_t flushed_ = 0;
};

}  // namespace aicc::net
