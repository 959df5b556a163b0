#!/usr/bin/env bash
# Configures and builds a sanitizer tree with clang, ASan + UBSan (undefined behaviour fatal): the
# libraries, the unit tests and the libFuzzer targets; not the server executable, the benchmarks or
# the web bundle, which the regular build has.
#   scripts/build-sanitize.sh [--fuzzing] [build-dir] [target...]   (no target: everything)
# Both flavours compile each library's and test folder's files in batches (AICC_UNITY_BUILD:
# Boost's headers read once per batch), and the libraries carry the coverage instrumentation
# libFuzzer steers by:
# - the test tree (build-sanitize/, what make test runs): -O0. ASan at -O1 triples clang's compile
#   time, and the unit tests and the fuzzers' short smoke run find the same memory and
#   undefined-behaviour errors unoptimised;
# - the fuzzing tree (--fuzzing, build-fuzz/, what make fuzz runs): -O1, for more executions per
#   second in long runs.
set -euo pipefail

cd "$(dirname "$0")/.."
fuzzing=0
if [[ "${1:-}" == "--fuzzing" ]]; then
  fuzzing=1
  shift
fi
if ((fuzzing)); then build=${1:-build-fuzz}; else build=${1:-build-sanitize}; fi
shift || true
if [[ ! -f "$build/build.ninja" ]]; then
  if ((fuzzing)); then optimisation="-O1 -gline-tables-only"; else optimisation="-O0 -gline-tables-only"; fi
  CXX=clang++ cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=$optimisation" \
    -DAICC_SANITIZE=ON -DAICC_BUILD_FUZZ=ON -DAICC_UNITY_BUILD=ON \
    -DAICC_BUILD_TESTS=ON \
    -DAICC_BUILD_SERVER=OFF -DAICC_BUILD_BENCH=OFF -DAICC_BUILD_WEB=OFF >/dev/null
fi
targets=()
for target in "$@"; do targets+=(--target "$target"); done
cmake --build "$build" -j "$(nproc)" "${targets[@]}"
