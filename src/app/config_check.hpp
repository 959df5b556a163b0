// `aicc-chat check-config [FILE]`: validates a configuration the way a start would (every key, the
// secret's strength, the origins, the business hours, the TLS files) and prints the effective
// values with secrets masked, then what is allowed but unwise, so an operator can check a file
// before a restart.
#pragma once

#include <string>
#include <vector>

#include "config/config.hpp"

namespace aicc::app {

// What is valid but deserves a second look (demo mode, any origin, unsigned webhooks, ...), one
// sentence each naming the key.
std::vector<std::string> configuration_advisories(const config::Config& config);

// Loads with `options`, prints the outcome; returns the process exit code (0: valid, 2: not).
int run_check_config(const config::LoadOptions& options);

}  // namespace aicc::app
