#!/usr/bin/env bash
# Runs the micro-benchmarks (short repetitions), then the side-by-side load run against RabbitMQ
# and ActiveMQ (bench/side-by-side.sh). The short run writes its report into BUILD_DIR/bench-results;
# the full run is the one docs/BENCHMARKS.md holds, and rewrites it.
#
#   scripts/run-bench.sh [BUILD_DIR] [--short|--full]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
mode=${2:---short}
build=$(cd "$build" && pwd)
for bench in "$build"/bench/*_bench; do
  echo "== $(basename "$bench")"
  "$bench" --benchmark_min_time=0.2
done
echo "== side by side ($mode)"
export AICC_BINARY="$build/aicc-chat" AICC_LOADGEN="$build/bench/aicc-loadgen"
if [[ "$mode" == --full ]]; then
  bench/side-by-side.sh --full
else
  results="$build/bench-results"
  bench/side-by-side.sh --short --out "$results" --doc "$results/BENCHMARKS.md" --plot "$results/bench-latency.svg"
  echo "report: $results/BENCHMARKS.md (docs/BENCHMARKS.md holds the full run: make bench-full)"
fi
