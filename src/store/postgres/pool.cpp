#include "store/postgres/pool.hpp"

namespace aicc::store::postgres {

Pool::Pool(std::string url, std::size_t size, std::chrono::milliseconds wait)
    : url_(std::move(url)),
      wait_(wait),
      connections_(size == 0 ? 1 : size),
      lent_(connections_.size()) {
  connections_[0] = std::make_unique<Connection>(url_);
}

Pool::Lease::~Lease() {
  if (pool_) pool_->give_back(index_);
}

Connection& Pool::Lease::operator*() const { return *pool_->connections_[index_]; }

Pool::Lease Pool::lease() {
  std::size_t index = 0;
  {
    std::unique_lock lock(mutex_);
    if (!freed_.wait_for(lock, wait_, [&] { return in_use_ < lent_.size(); })) {
      ++errors_;
      throw Error("no PostgreSQL connection became free within " + std::to_string(wait_.count()) +
                      " ms (all " + std::to_string(lent_.size()) + " busy)",
                  "");
    }
    // Prefer a connection already open.
    std::size_t chosen = lent_.size();
    for (std::size_t i = 0; i < lent_.size(); ++i) {
      if (lent_[i]) continue;
      if (connections_[i]) {
        chosen = i;
        break;
      }
      if (chosen == lent_.size()) chosen = i;
    }
    index = chosen;
    lent_[index] = true;
    ++in_use_;
  }
  Lease lease(this, index);  // given back on every way out below
  std::unique_ptr<Connection>& connection = connections_[index];
  try {
    if (!connection) {
      connection = std::make_unique<Connection>(url_);
    } else if (connection->broken()) {
      connection->reset();
      std::lock_guard lock(mutex_);
      ++reconnects_;
    }
  } catch (const Error&) {
    count_error();
    throw;
  }
  return lease;
}

void Pool::give_back(std::size_t index) {
  {
    std::lock_guard lock(mutex_);
    lent_[index] = false;
    --in_use_;
  }
  freed_.notify_one();
}

void Pool::count_error() {
  std::lock_guard lock(mutex_);
  ++errors_;
}

PoolFigures Pool::figures() const {
  std::lock_guard lock(mutex_);
  return {.size = lent_.size(), .in_use = in_use_, .errors = errors_, .reconnects = reconnects_};
}

}  // namespace aicc::store::postgres
