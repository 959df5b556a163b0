// The figures of a run, computed from the merged tallies and the parent's phase samples, printed
// as a table and written as one flat JSON object.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "bench/loadgen/options.hpp"
#include "bench/loadgen/workers.hpp"

namespace aicc::loadgen {

struct Report {
  std::vector<std::pair<std::string, double>> figures;  // in print order
  std::vector<std::string> problems;  // why the run counts as failed; empty: it did not
};

Report report_of(const Options& options, const RunOutcome& outcome);
void print_report(const Options& options, const Report& report, const std::string& first_error);
bool write_json(const Options& options, const Report& report);

}  // namespace aicc::loadgen
