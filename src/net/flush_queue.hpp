// Corked writes: the transports of one I/O thread are flushed in passes, each connection once per
// pass whatever it was sent meanwhile, instead of one write per message per connection.
//
// Why: with a paced publisher every message used to go out on its own, one writev per subscriber
// per message, and on loopback the receiver's TCP processing runs inside that call. The server's
// core filled up at a quarter of the rate it reaches flat out, and latency collapsed. Redis
// (write before sleep) and uWebSockets (cork) batch by readiness: handle what is ready, then
// write each connection once. Here a connection with output joins its thread's queue once; a
// pass, posted behind the work already waiting (reads, deliveries), flushes every connection that
// was queued when it began. What is queued during a pass waits for the next one, after the work
// that became ready meanwhile, so it joins the writes still to come. At light load a message goes
// out at once (one pass right after the delivery); under load each write carries what arrived
// since the last one, and batching grows with the load without a timer (no Nagle of our own).
//
// Nor does a backlog of deliveries wait for the pass behind it: a flat-out publisher to 10,000
// subscribers queues 200 publishes before the first pass, two million deliveries (seconds of
// work) that would all be made before a byte went out. A handler that delivered calls
// delivered(), and once enough deliveries were made since the last pass, the pass runs there and
// then: at least kDeliveriesPerPass, and kDeliveriesPerWrite per connection waiting, so that a
// write still carries that many messages on average (one write per message per subscriber cost
// 11 µs per delivery at 10,000 subscribers, ten times the batched figure).
//
// A pass never stops part-way: deliveries to many subscribers queue more connections per
// publish than any fixed share per pass could keep up with (a share of 32 per pass, tried first,
// fell behind a flat-out publisher to 10,000 subscribers until nothing was written at all).
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
  explicit FlushQueue(boost::asio::execution_context& context);

  // The queue of the io_context behind `executor`.
  static FlushQueue& of(const boost::asio::any_io_executor& executor);

  // Deliveries made since the last pass before the next runs at once, from delivered(): at least
  // kDeliveriesPerPass, and kDeliveriesPerWrite for each connection waiting.
  static constexpr std::size_t kDeliveriesPerPass = 8192;
  static constexpr std::size_t kDeliveriesPerWrite = 16;

  // Queues `target` for the next pass on `executor` (its own). The caller queues it once until its
  // flush_now() runs.
  void enqueue(const boost::asio::any_io_executor& executor, std::shared_ptr<Flushable> target);

  // Called by a handler that made `count` deliveries, once it is done with them (no connection
  // is in the middle of a call): runs the pass now when enough were made since the last one.
  void delivered(std::size_t count);

  // Passes run so far, and the connections flushed in them (for tests and metrics).
  std::size_t passes() const { return passes_; }
  std::size_t flushed() const { return flushed_; }

 private:
  void shutdown() override;
  void run_pass();

  std::vector<std::shared_ptr<Flushable>> due_;       // for the next pass
  std::vector<std::shared_ptr<Flushable>> flushing_;  // the pass running now
  bool posted_ = false;
  std::size_t delivered_since_pass_ = 0;
  std::size_t passes_ = 0;
  std::size_t flushed_ = 0;
};

}  // namespace aicc::net
