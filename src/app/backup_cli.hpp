// `aicc-chat backup FILE` and `aicc-chat restore FILE`: an online copy of the SQLite store (with
// its attachment files) while the server runs, and putting one back while it is stopped. With
// store.kind postgres the database's own tools do this (README, "Operating it").
#pragma once

#include <string>

#include "config/config.hpp"

namespace aicc::app {

// Returns the process exit code: 0 done, 1 failed (the reason on stderr), 2 misused.
int run_backup_command(const config::Config& config, const std::string& file);
int run_restore_command(const config::Config& config, const std::string& file);

}  // namespace aicc::app
