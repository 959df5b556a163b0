#!/usr/bin/env bash
# Runs the micro-benchmarks (short repetitions) and prints their tables.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
for bench in "$build"/bench/*_bench; do
  echo "== $(basename "$bench")"
  "$bench" --benchmark_min_time=0.2
done
