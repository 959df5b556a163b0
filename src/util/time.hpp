// Wall-clock formatting for the wire: RFC 3339 in UTC with milliseconds.
#pragma once

#include <chrono>
#include <string>

namespace aicc::util {

// "2026-11-25T09:22:57.123Z"
std::string rfc3339(std::chrono::system_clock::time_point when);

}  // namespace aicc::util
