// Wall-clock time: now as Unix seconds, formatting for the wire (RFC 3339 in UTC with
// milliseconds), and the division that buckets times.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace aicc::util {

// Now, as whole seconds since 1970-01-01 UTC (what JWTs and the stores' second columns hold).
std::int64_t unix_seconds();
// Now, as milliseconds since 1970-01-01 UTC (the chat store's times).
std::int64_t unix_millis();

// a / b rounded down (b > 0), so that times before 1970 fall into the right bucket too.
constexpr std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  return a / b - ((a % b != 0) && (a < 0));
}

// "2026-11-25T09:22:57.123Z"
std::string rfc3339(std::chrono::system_clock::time_point when);

}  // namespace aicc::util
