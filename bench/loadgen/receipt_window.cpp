#include "bench/loadgen/receipt_window.hpp"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <charconv>
#include <random>

namespace aicc::loadgen {

namespace asio = boost::asio;
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

bool ReceiptWindow::settle(std::string_view receipt_id) {
  if (!receipt_id.starts_with("d-")) return false;
  std::uint64_t k = 0;
  const char* first = receipt_id.data() + 2;
  const char* last = receipt_id.data() + receipt_id.size();
  if (std::from_chars(first, last, k).ptr != last) return false;
  auto it = sent_at_.find(k);
  if (it == sent_at_.end()) return false;
  const std::int64_t now = now_ns();
  w_.tally.receipt_latencies_ns.push_back(now - it->second);
  w_.tally.add("receipts");
  w_.tally.latest("lastReceiptNs", static_cast<double>(now));
  sent_at_.erase(it);
  signal_.cancel();
  return true;
}

asio::awaitable<void> ReceiptWindow::run(std::function<void(const std::string&, std::int64_t)> send,
                                         std::function<bool()> open) {
  const Options& o = w_.options;
  // Paced producers start at a random point of their first interval, as people do: started
  // together they would all send at the same instants, and each burst would wait for itself.
  thread_local std::mt19937 random{std::random_device{}()};
  const double offset_s =
      o.rate > 0 ? std::uniform_real_distribution<double>(0, 1.0 / o.rate)(random) : 0.0;
  const auto start = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                        std::chrono::duration<double>(offset_s));
  const auto end =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.hold_s));
  for (std::uint64_t k = 0; open() && !w_.expired(); ++k) {
    if (o.rate > 0) {
      const auto due = start + std::chrono::duration_cast<Clock::duration>(
                                   std::chrono::duration<double>(static_cast<double>(k) / o.rate));
      if (due >= end) break;
      while (open() && Clock::now() < due && !w_.expired()) co_await wait_until(due);
    }
    while (open() && sent_at_.size() >= o.window && !w_.expired()) co_await wait_until(end);
    if (!open() || w_.expired() || Clock::now() >= end) break;
    const std::int64_t now = now_ns();
    sent_at_.emplace(k, now);
    send(receipt_id(k), now);
    w_.tally.add("sent");
  }
  // The last receipts.
  while (open() && !sent_at_.empty() && !w_.expired()) co_await wait_until(w_.deadline);
}

asio::awaitable<void> ReceiptWindow::wait_until(Clock::time_point when) {
  // Never long: a connection that ended wakes nobody, so `open` is looked at again soon.
  signal_.expires_at(std::min({when, w_.deadline, Clock::now() + std::chrono::milliseconds(100)}));
  co_await signal_.async_wait(kNoThrow);
}

}  // namespace aicc::loadgen
