#!/usr/bin/env bash
# Runs every test suite against an already built tree and prints the totals:
#   1. unit tests (GoogleTest, through ctest)
#   2. a short fuzzing run of every parser (libFuzzer, clang), when clang is installed
#   3. integration tests: the real binary on loopback ports, driven by npm clients
#   4. the SockJS protocol reference suite (tests/sockjs-protocol/, Python 3)
#   5. browser tests: the built pages in headless Chromium (playwright-core)
# Each suite runs even when an earlier one failed; the exit status is non-zero if any test failed.
set -uo pipefail

cd "$(dirname "$0")/.."
build=${1:-build}
logs="$build/test-logs"
mkdir -p "$logs"
passed=0
failed=0

echo "== unit tests (ctest)"
ctest --test-dir "$build" --output-on-failure -j "$(nproc)" --timeout 300 2>&1 | tee "$logs/ctest.log"
summary=$(grep -E "tests passed, [0-9]+ tests failed out of [0-9]+" "$logs/ctest.log" | tail -1)
if [[ -n "$summary" ]]; then
  total=$(sed -E 's/.*out of ([0-9]+).*/\1/' <<<"$summary")
  unit_failed=$(sed -E 's/.* ([0-9]+) tests failed.*/\1/' <<<"$summary")
  passed=$((passed + total - unit_failed))
  failed=$((failed + unit_failed))
else
  echo "run-tests: ctest printed no summary" >&2
  failed=$((failed + 1))
fi

echo "== fuzzing smoke run"
if command -v clang++ >/dev/null 2>&1; then
  if scripts/run-fuzz.sh 20 >"$logs/fuzz.log" 2>&1; then
    passed=$((passed + 1))
    tail -3 "$logs/fuzz.log"
  else
    failed=$((failed + 1))
    tail -40 "$logs/fuzz.log"
  fi
else
  echo "clang++ not installed: fuzzing skipped (scripts/install-deps.sh --test installs it)"
fi

# A node --test run of `folder`, its output in $logs/<name>.log, its totals added to ours.
run_node_suite() {
  local name=$1 folder=$2
  AICC_BINARY="$build/aicc-chat" AICC_WEB_ROOT="$build/web" AICC_SCREENSHOT_DIR="$build/screenshots" \
    node --test --test-reporter=spec --test-concurrency=1 "$folder" 2>&1 | tee "$logs/$name.log"
  local suite_passed suite_failed
  suite_passed=$(grep -E "^ℹ pass [0-9]+" "$logs/$name.log" | tail -1 | awk '{print $3}')
  suite_failed=$(grep -E "^ℹ fail [0-9]+" "$logs/$name.log" | tail -1 | awk '{print $3}')
  if [[ -n "$suite_passed" && -n "$suite_failed" ]]; then
    passed=$((passed + suite_passed))
    failed=$((failed + suite_failed))
  else
    echo "run-tests: the $name runner printed no summary" >&2
    failed=$((failed + 1))
  fi
}

echo "== integration tests (real binary, npm clients)"
run_node_suite integration tests/integration/

echo "== SockJS protocol reference suite (sockjs-protocol.py against the test services)"
scripts/run-sockjs-protocol.sh "$build" 2>&1 | tee "$logs/sockjs-protocol.log"
summary=$(grep -E "^[0-9]+ passed, [0-9]+ failed" "$logs/sockjs-protocol.log" | tail -1)
if [[ -n "$summary" ]]; then
  passed=$((passed + $(awk '{print $1}' <<<"$summary")))
  failed=$((failed + $(awk '{print $3}' <<<"$summary")))
else
  echo "run-tests: the SockJS protocol suite printed no summary" >&2
  failed=$((failed + 1))
fi

echo "== browser tests (headless Chromium; screenshots in $build/screenshots)"
run_node_suite browser tests/e2e/

echo
echo "== totals"
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
