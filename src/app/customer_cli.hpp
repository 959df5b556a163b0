// `aicc-chat customer erase ID`: erases one customer's personal data everywhere (center/
// customer_erasure.hpp), from the operator's shell, while the server runs or not.
#pragma once

#include <string>
#include <vector>

#include "config/config.hpp"

namespace aicc::app {

// `words`: what follows "customer". Returns the exit code: 0 erased, 1 failed, 2 refused or
// misused (the reason on stderr).
int run_customer_command(const config::Config& config, const std::vector<std::string>& words);

}  // namespace aicc::app
