#!/usr/bin/env bash
# Builds the libFuzzer targets (scripts/build-sanitize.sh) and runs each for the given number of
# seconds on a scratch copy of its committed corpus, then prints each one's executions per second
# and findings. Exits non-zero when any fuzzer found something; the reproducers are left in
# <tree>/fuzz-findings/ (fix the bug, then commit the input as a regression case: see
# fuzz/README.md). The tree is the fuzzing tree (build-fuzz/, coverage-guided) unless another is
# given: make test passes its sanitizer tree for a short smoke run.
#   scripts/run-fuzz.sh [seconds per target, default 60] [tree]
set -euo pipefail

cd "$(dirname "$0")/.."
seconds=${1:-60}
build=${2:-build-fuzz}
fuzzers=()
for source in fuzz/*_fuzzer.cpp; do fuzzers+=("$(basename "$source" .cpp)"); done
if [[ "$build" == build-fuzz ]]; then
  scripts/build-sanitize.sh --fuzzing "$build" "${fuzzers[@]}" >/dev/null
else
  scripts/build-sanitize.sh "$build" "${fuzzers[@]}" >/dev/null
fi

findings_dir="$build/fuzz-findings"
rm -rf "$findings_dir"
mkdir -p "$findings_dir"

# One fuzzer, for `seconds`, its log in the findings folder. -fork would keep going after a
# finding; one process keeps the figures comparable and a finding ends the run with its reproducer
# written. As many run at once as there are cores (each is one thread).
fuzz_one() {
  local fuzzer=$1 build=$2 seconds=$3 findings_dir=$4
  local name=${fuzzer%_fuzzer}
  local scratch="$build/fuzz-corpus/$name"
  mkdir -p "$scratch"
  echo "fuzzing $name for ${seconds}s"
  "$build/fuzz/$fuzzer" -max_total_time="$seconds" -print_final_stats=1 -timeout=10 \
    -rss_limit_mb=2048 -artifact_prefix="$findings_dir/$name-" "$scratch" "fuzz/corpus/$name" \
    >"$findings_dir/$name.log" 2>&1 || true
}
export -f fuzz_one
printf '%s\n' "${fuzzers[@]}" |
  xargs -P "$(nproc)" -I{} bash -c 'fuzz_one "$@"' _ {} "$build" "$seconds" "$findings_dir"

report=()
total_findings=0
for fuzzer in "${fuzzers[@]}"; do
  name=${fuzzer%_fuzzer}
  log="$findings_dir/$name.log"
  runs=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+).*/\1/p' "$log" | tail -1)
  time=$(sed -nE 's/^Done [0-9]+ runs in ([0-9]+) second.*/\1/p' "$log" | tail -1)
  found=$(find "$findings_dir" -maxdepth 1 -name "$name-*" -type f | wc -l)
  rate="-"
  if [[ -n "$runs" && -n "$time" && "$time" -gt 0 ]]; then
    rate=$((runs / time))
  elif [[ -n "$runs" ]]; then
    rate="$runs runs"
  fi
  if ((found > 0)); then
    grep -E "^(==[0-9]+==|SUMMARY|check failed|.*runtime error)" "$log" | head -5 || true
  fi
  report+=("$(printf '%-14s %10s %6s' "$name" "$rate" "$found")")
  total_findings=$((total_findings + found))
done

echo
printf '%-14s %10s %6s\n' fuzzer "execs/s" findings
printf '%s\n' "${report[@]}"
if ((total_findings > 0)); then
  echo "fuzzers found $total_findings problem(s); reproducers in $findings_dir/"
  exit 1
fi
