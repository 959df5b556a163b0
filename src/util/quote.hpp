// Values quoted back in messages and log lines (a configuration mistake, a schedule that does not
// parse): whatever was written, the line stays one readable line.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace aicc::util {

// `text` in double quotes: at most `max_bytes` of it (then "..."), quotes and backslashes escaped,
// control characters (and, with `ascii_only`, every byte past ASCII) as \xNN.
std::string quoted(std::string_view text, std::size_t max_bytes, bool ascii_only = false);

}  // namespace aicc::util
