// Logging set-up. Code logs with spdlog directly (spdlog::info(...)) from .cpp files only, so
// that its headers stay out of the project's own headers.
#pragma once

#include <string>

namespace aicc::log {

// level: trace, debug, info, warn, error; format: "text" or "json" (one JSON object per line).
void init(const std::string& level, const std::string& format);

}  // namespace aicc::log
