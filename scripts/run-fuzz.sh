#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (in build-fuzz/) and runs each for the given number of
# seconds on a scratch copy of its committed corpus. Exits non-zero when a fuzzer finds a crash;
# the reproducer is left in build-fuzz/ (commit it as a regression case once fixed).
set -euo pipefail

cd "$(dirname "$0")/.."
seconds=${1:-60}
if [[ ! -f build-fuzz/build.ninja ]]; then
  CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DAICC_BUILD_FUZZ=ON -DAICC_BUILD_TESTS=OFF -DAICC_BUILD_BENCH=OFF >/dev/null
fi
cmake --build build-fuzz -j "$(nproc)" >/dev/null

rm -f build-fuzz/crash-* build-fuzz/leak-* build-fuzz/timeout-*
for fuzzer in build-fuzz/fuzz/*_fuzzer; do
  name=$(basename "$fuzzer" _fuzzer)
  scratch="build-fuzz/corpus-$name"
  mkdir -p "$scratch"
  echo "fuzzing $name for ${seconds}s"
  "$fuzzer" -max_total_time="$seconds" -print_final_stats=1 -artifact_prefix=build-fuzz/ \
    "$scratch" "fuzz/corpus/$name" 2>&1 | grep -E "^(Done [0-9]+ runs|==[0-9]+==|SUMMARY|artifact_prefix|Test unit written)" || true
  # libFuzzer exits non-zero on a finding; the pipe above hides it, so check for an artifact.
  if ls build-fuzz/crash-* build-fuzz/leak-* build-fuzz/timeout-* >/dev/null 2>&1; then
    echo "fuzzer $name found a problem: $(ls build-fuzz/crash-* build-fuzz/leak-* build-fuzz/timeout-* 2>/dev/null)"
    exit 1
  fi
done
