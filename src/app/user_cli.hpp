// `aicc-chat user add|list|enable|disable|passwd`: managing agents, admins and customers from the
// shell, on the same store and configuration the server uses.
#pragma once

#include <string>
#include <vector>

#include "config/config.hpp"

namespace aicc::app {

// Runs the subcommand in `args` (the words after "user"); returns the process exit code.
int run_user_command(const config::Config& config, const std::vector<std::string>& args);

}  // namespace aicc::app
