// A fixed set of PostgreSQL connections lent to the blocking worker threads, one call at a time.
//
// The adapters' calls block (they run on the server's blocking pool, never on an I/O thread), so
// the pool needs no asynchronous API: lease() waits for a free connection up to a deadline and
// then throws, so a stuck database turns into `store_unavailable` answers instead of a pile of
// waiting threads. Connections are opened on first need; a broken one (server restarted, network
// cut) is reconnected when it is next lent, so the service comes back with the database.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "store/postgres/connection.hpp"

namespace aicc::store::postgres {

struct PoolFigures {
  std::size_t size = 0;          // connections the pool may open
  std::size_t in_use = 0;        // lent out now
  std::uint64_t errors = 0;      // calls that failed on the database's side, since start
  std::uint64_t reconnects = 0;  // broken connections opened again
};

class Pool {
 public:
  // `size` connections at most to `url`. Connects once now, so that a wrong URL or an unreachable
  // server is told at start-up (throws Error).
  Pool(std::string url, std::size_t size, std::chrono::milliseconds wait);

  class Lease {
   public:
    Lease(Lease&& other) noexcept : pool_(other.pool_), index_(other.index_) {
      other.pool_ = nullptr;
    }
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease();

    Connection& operator*() const;
    Connection* operator->() const { return &**this; }

   private:
    friend class Pool;
    Lease(Pool* pool, std::size_t index) : pool_(pool), index_(index) {}
    Pool* pool_;
    std::size_t index_;
  };

  // A connection for the caller alone until the lease ends. Throws Error when none was free
  // within the wait, or the database cannot be reached.
  Lease lease();

  // Runs `work(connection)` on a leased connection and returns what it returns. A transaction that
  // lost a race (deadlock, serialization failure) runs again, up to three times; any other
  // failure is counted and rethrown.
  template <class Work>
  auto with(Work&& work) -> decltype(work(std::declval<Connection&>())) {
    for (int attempt = 1;; ++attempt) {
      Lease leased = lease();
      try {
        return work(*leased);
      } catch (const Error& e) {
        if (e.retryable() && attempt < 3) continue;
        count_error();
        throw;
      }
    }
  }

  // Counts a failed call (the adapters call it when a statement throws).
  void count_error();
  PoolFigures figures() const;

 private:
  void give_back(std::size_t index);

  const std::string url_;
  const std::chrono::milliseconds wait_;
  mutable std::mutex mutex_;
  std::condition_variable freed_;
  std::vector<std::unique_ptr<Connection>> connections_;  // null until first opened
  std::vector<bool> lent_;
  std::size_t in_use_ = 0;
  std::uint64_t errors_ = 0;
  std::uint64_t reconnects_ = 0;
};

}  // namespace aicc::store::postgres
