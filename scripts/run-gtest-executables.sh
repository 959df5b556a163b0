#!/usr/bin/env bash
# Runs every GoogleTest executable of a tree's tests/ folder (build-sanitize/ unless given), as many
# at once as there are cores, each in one process, and prints each one's counts and then the totals
# as "<passed> passed, <failed> failed". Used for the sanitizer tree: ctest starts one process per
# test, and a sanitized process takes ~0.1 s to start, a minute over a thousand tests on 2 cores.
# An executable that ends without its summary (a sanitizer report, a crash, the time limit) counts
# as one more failure; its output is kept in <tree>/test-output/<name>.log.
#   scripts/run-gtest-executables.sh [tree] [seconds allowed per executable, default 900]
set -uo pipefail

cd "$(dirname "$0")/.."
tree=${1:-build-sanitize}
limit=${2:-900}
outputs="$tree/test-output"
rm -rf "$outputs"
mkdir -p "$outputs"
outputs=$(realpath "$outputs")

executables=()
for candidate in "$tree"/tests/*_tests; do
  [[ -x "$candidate" && -f "$candidate" ]] && executables+=("$candidate")
done
if ((${#executables[@]} == 0)); then
  echo "run-gtest-executables: no test executables in $tree/tests" >&2
  echo "0 passed, 1 failed"
  exit 1
fi

# One executable, run where ctest would run it (its folder), its exit status after its output.
run_one() {
  local executable=$1 limit=$2 outputs=$3
  local name log
  name=$(basename "$executable")
  log="$outputs/$name.log"
  (cd "$(dirname "$executable")" && timeout --kill-after=10 "$limit" "./$name" --gtest_brief=1) >"$log" 2>&1
  echo "exit status $?" >>"$log"
}
export -f run_one
printf '%s\n' "${executables[@]}" | xargs -P "$(nproc)" -I{} bash -c 'run_one "$@"' _ {} "$limit" "$outputs"

passed=0
failed=0
for executable in "${executables[@]}"; do
  name=$(basename "$executable")
  log="$outputs/$name.log"
  ran=$(sed -nE 's/^\[==========\] ([0-9]+) tests? from .* ran\..*/\1/p' "$log" | tail -1)
  failures=$(sed -nE 's/^\[  FAILED  \] ([0-9]+) tests?, listed below:.*/\1/p' "$log" | tail -1)
  status=$(sed -nE 's/^exit status ([0-9]+)$/\1/p' "$log" | tail -1)
  failures=${failures:-0}
  if [[ -z "$ran" ]]; then
    # No summary: the process died part way; what it printed says why.
    tail -30 "$log"
    echo "$name: ended without its summary (exit status ${status:-unknown})"
    failed=$((failed + failures + 1))
    continue
  fi
  if ((failures > 0)); then
    grep -E "^\[  FAILED  \]|Failure|ERROR: AddressSanitizer|runtime error" "$log" | head -40
  elif [[ "$status" != 0 ]]; then
    # Every test passed but the process failed afterwards (a leak report, a crash at exit).
    tail -30 "$log"
    echo "$name: every test passed, then exit status $status"
    failures=1
  fi
  printf '%-16s %5d tests, %d failed\n' "$name" "$ran" "$failures"
  passed=$((passed + ran - failures))
  failed=$((failed + failures))
done
echo "$passed passed, $failed failed"
((failed == 0))
