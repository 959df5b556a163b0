#!/usr/bin/env bash
# Configures and builds the sanitizer tree (build-sanitize/ unless given): clang, ASan + UBSan
# (undefined behaviour fatal), the libraries, the unit tests and the libFuzzer targets; not the
# server executable, the benchmarks or the web bundle, which the regular build has.
#   scripts/build-sanitize.sh [build-dir] [target...]   (no target: everything)
set -euo pipefail

cd "$(dirname "$0")/.."
build=${1:-build-sanitize}
shift || true
if [[ ! -f "$build/build.ninja" ]]; then
  # -O1 and line tables only: fast enough to run, readable stacks, and the shortest build.
  CXX=clang++ cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -gline-tables-only" \
    -DAICC_SANITIZE=ON -DAICC_BUILD_FUZZ=ON -DAICC_BUILD_TESTS=ON \
    -DAICC_BUILD_SERVER=OFF -DAICC_BUILD_BENCH=OFF -DAICC_BUILD_WEB=OFF >/dev/null
fi
targets=()
for target in "$@"; do targets+=(--target "$target"); done
cmake --build "$build" -j "$(nproc)" "${targets[@]}"
