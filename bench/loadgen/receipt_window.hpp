// The durable scenario's producers: SENDs with a receipt each, at most --window of them waiting
// for their RECEIPT, timed from the SEND to the RECEIPT.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "bench/loadgen/worker.hpp"

namespace aicc::loadgen {

class ReceiptWindow {
 public:
  explicit ReceiptWindow(Worker& worker) : w_(worker), signal_(worker.io) {}

  // Receipt ids of this window: "d-<k>".
  static std::string receipt_id(std::uint64_t k) { return "d-" + std::to_string(k); }
  // A RECEIPT from the server. False when `receipt_id` is not one of this window's.
  bool settle(std::string_view receipt_id);

  // Sends with `send(receipt_id, now_ns)` for --hold seconds at --rate (0: whenever the window has
  // room), then waits for the last receipts (or the run's deadline). `open` tells whether the
  // connection is still up.
  boost::asio::awaitable<void> run(std::function<void(const std::string&, std::int64_t)> send,
                                   std::function<bool()> open);

 private:
  // Until `when`, a receipt, or 100 ms, whichever comes first.
  boost::asio::awaitable<void> wait_until(Clock::time_point when);

  Worker& w_;
  boost::asio::steady_timer signal_;  // cancelled by settle(): the window has room again
  std::unordered_map<std::uint64_t, std::int64_t> sent_at_;  // by k, while waiting
};

}  // namespace aicc::loadgen
