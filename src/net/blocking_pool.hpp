// A small thread pool for work that blocks or burns CPU: database calls, password hashing.
// I/O threads never do such work themselves; a coroutine hops here and back:
//
//   auto user = co_await pool.run([&] { return store.find_user(id); });
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstddef>
#include <optional>
#include <type_traits>
#include <utility>

namespace aicc::net {

class BlockingPool {
 public:
  explicit BlockingPool(std::size_t threads) : pool_(threads) {}
  ~BlockingPool() { pool_.join(); }
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

  void stop() { pool_.stop(); }
  boost::asio::thread_pool::executor_type executor() { return pool_.get_executor(); }

 private:
  boost::asio::thread_pool pool_;
};

}  // namespace aicc::net
