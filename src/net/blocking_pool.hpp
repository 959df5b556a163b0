// A small thread pool for work that blocks or burns CPU: database calls, password hashing.
// I/O threads never do such work themselves; a coroutine hops here and back:
//
//   auto user = co_await pool.run([&] { return store.find_user(id); });
//
// A pool may also bound what it admits: try_run() takes work only while fewer than `threads` +
// `max_waiting` pieces are running or queued, and answers nullopt at once otherwise, so that a
// flood of one kind of work (argon2id logins) waits in its own short queue, or is refused, and
// never delays the work of another pool.
#pragma once

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstddef>
#include <limits>
#include <optional>
#include <type_traits>
#include <utility>

namespace aicc::net {

class BlockingPool {
 public:
  explicit BlockingPool(std::size_t threads,
                        std::size_t max_waiting = std::numeric_limits<std::size_t>::max() / 2)
      : pool_(threads), max_admitted_(threads + max_waiting) {}
  ~BlockingPool() { pool_.join(); }
  // Waits for the work already handed over to finish (nothing new is taken once it returns): at
  // shutdown, before the objects that work uses are destroyed.
  void join() { pool_.join(); }
  BlockingPool(const BlockingPool&) = delete;
  BlockingPool& operator=(const BlockingPool&) = delete;

  // Runs `work` on the pool; the awaiting coroutine resumes on its own executor. Exceptions from
  // `work` are rethrown to the caller.
  //
  // Pass a named callable (std::move(work)), never a lambda written in the co_await expression:
  // GCC 12 destroys such temporaries twice when they capture objects with destructors.
  template <class Work>
  boost::asio::awaitable<std::invoke_result_t<std::decay_t<Work>&>> run(Work&& work) {
    using Result = std::invoke_result_t<std::decay_t<Work>&>;
    // Lambdas are named, not temporaries in the co_await expression: GCC 12 destroys such
    // temporaries twice.
    if constexpr (std::is_void_v<Result>) {
      auto task = [work = std::forward<Work>(work)]() mutable -> boost::asio::awaitable<void> {
        work();
        co_return;
      };
      co_await boost::asio::co_spawn(pool_.get_executor(), std::move(task),
                                     boost::asio::use_awaitable);
    } else {
      // co_spawn needs a default-constructible result; optional makes any type one.
      auto task = [work = std::forward<Work>(
                       work)]() mutable -> boost::asio::awaitable<std::optional<Result>> {
        co_return std::optional<Result>(work());
      };
      auto result = co_await boost::asio::co_spawn(pool_.get_executor(), std::move(task),
                                                   boost::asio::use_awaitable);
      co_return std::move(*result);
    }
  }

  // Like run(), unless the pool already holds threads + max_waiting pieces of work submitted
  // through try_run(): then nullopt at once, and `work` is not run.
  template <class Work>
  boost::asio::awaitable<std::optional<std::invoke_result_t<std::decay_t<Work>&>>> try_run(
      Work&& work) {
    using Result = std::invoke_result_t<std::decay_t<Work>&>;
    static_assert(!std::is_void_v<Result>, "try_run() needs work that returns a value");
    std::size_t admitted = admitted_.load(std::memory_order_relaxed);
    do {
      if (admitted >= max_admitted_) co_return std::nullopt;
    } while (!admitted_.compare_exchange_weak(admitted, admitted + 1, std::memory_order_acq_rel));
    auto task = [this, work = std::forward<Work>(
                           work)]() mutable -> boost::asio::awaitable<std::optional<Result>> {
      // Released when the work is done (or threw), on the pool's thread.
      struct Release {
        std::atomic<std::size_t>& admitted;
        ~Release() { admitted.fetch_sub(1, std::memory_order_acq_rel); }
      } release{admitted_};
      co_return std::optional<Result>(work());
    };
    co_return co_await boost::asio::co_spawn(pool_.get_executor(), std::move(task),
                                             boost::asio::use_awaitable);
  }

  // Work submitted through try_run() that is running or waiting now.
  std::size_t admitted() const { return admitted_.load(std::memory_order_relaxed); }

  void stop() { pool_.stop(); }
  boost::asio::thread_pool::executor_type executor() { return pool_.get_executor(); }

 private:
  boost::asio::thread_pool pool_;
  const std::size_t max_admitted_;  // threads + max_waiting
  std::atomic<std::size_t> admitted_{0};
};

}  // namespace aicc::net
