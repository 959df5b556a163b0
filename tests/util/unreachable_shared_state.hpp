// A util::SharedState that cannot be reached, as Redis during an outage: every call throws.
#pragma once

#include <string>
#include <vector>

#include "util/shared_state.hpp"

namespace aicc::util::testing {

class UnreachableSharedState final : public SharedState {
 public:
  void put(std::string_view, std::string_view, std::int64_t) override { fail(); }
  std::optional<std::string> take(std::string_view) override { fail(); }
  std::optional<std::string> get(std::string_view) override { fail(); }
  bool add(std::string_view, std::int64_t) override { fail(); }
  std::vector<std::int64_t> events(std::string_view, std::int64_t, std::int64_t, std::size_t,
                                   bool) override {
    fail();
  }
  Reservation reserve(std::string_view, std::string_view, std::int64_t, std::int64_t,
                      std::size_t) override {
    fail();
  }
  void release(std::string_view, std::string_view) override { fail(); }
  void clear(std::string_view) override { fail(); }

 private:
  [[noreturn]] static void fail() { throw SharedStateUnavailable("Redis: connection refused"); }
};

}  // namespace aicc::util::testing
