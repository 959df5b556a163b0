#!/usr/bin/env bash
# Builds what the suites need, runs every test suite and prints the totals:
#   0. first, the services the tests need, private to this run on free loopback ports: PostgreSQL
#      (its URL in AICC_TEST_POSTGRES_URL); stopped and removed when the run ends
#   1. the Release build of the server, the load generator and the pages (build/), and the Debian
#      package made from it (packaging/debian/build-deb.sh), which the integration suite checks
#   2. the unit tests (GoogleTest): with clang, built under ASan + UBSan in build-sanitize/, each
#      executable in one process, then a short run of every fuzzer, each counted as one test
#      (AICC_FUZZ_SECONDS, default 10); all of it in the background, at the lowest priority, from
#      the start to the end of the run. Without clang, in the Release tree through ctest
#   3. the formatting of every C++ file (clang-format), counted as one test
#   4. integration tests: the real binary on loopback ports, driven by npm clients; then the suites
#      that exercise the store once more with store.kind postgres (AICC_TEST_STORE=postgres); then
#      every HTTP answer they received (recorded by tests/integration/lib/record-api.mjs) checked
#      against docs/openapi.json, one test per documented operation exercised
#   5. the SockJS protocol reference suite (tests/sockjs-protocol/, Python 3)
#   6. browser tests: the built pages in headless Chromium (playwright-core)
# Each suite runs even when an earlier one failed; the exit status is non-zero if any test failed.
set -uo pipefail

cd "$(dirname "$0")/.."
build=${1:-build}
logs="$build/test-logs"
mkdir -p "$logs"
passed=0
failed=0

# A ctest run in `dir`, its output in $logs/<name>.log, its totals added to ours.
run_ctest() {
  local name=$1 dir=$2
  ctest --test-dir "$dir" --output-on-failure -j "$(nproc)" --timeout 300 2>&1 | tee "$logs/$name.log"
  local summary
  summary=$(grep -E "tests passed, [0-9]+ tests failed out of [0-9]+" "$logs/$name.log" | tail -1)
  if [[ -n "$summary" ]]; then
    local total suite_failed
    total=$(sed -E 's/.*out of ([0-9]+).*/\1/' <<<"$summary")
    suite_failed=$(sed -E 's/.* ([0-9]+) tests failed.*/\1/' <<<"$summary")
    passed=$((passed + total - suite_failed))
    failed=$((failed + suite_failed))
  else
    echo "run-tests: ctest printed no summary for $name" >&2
    failed=$((failed + 1))
  fi
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

echo "== test services: a private PostgreSQL"
# In /tmp: the server runs as an unprivileged user when we are root, and must reach its folder.
postgres_dir=$(mktemp -d /tmp/aicc-test-postgres.XXXXXX)
stop_services() {
  scripts/postgres-private.sh stop "$postgres_dir"
  rm -rf "$postgres_dir"
}
trap stop_services EXIT
if AICC_TEST_POSTGRES_URL=$(scripts/postgres-private.sh start "$postgres_dir" "$(free_port)" --fast); then
  export AICC_TEST_POSTGRES_URL
  echo "PostgreSQL at $AICC_TEST_POSTGRES_URL"
else
  echo "run-tests: could not start PostgreSQL; its tests will fail" >&2
fi

# The unit tests run once, in the sanitizer tree, which is stricter than the Release one (ASan and
# UBSan see what an optimised run may hide): it is built, and then its unit tests and the fuzzers
# run, in the background at the lowest priority while the Release build and the other suites run.
# Those mostly wait on sockets and timers, so this work takes the idle CPU, and the suites keep the
# CPU when they need it. Started once PostgreSQL is up (its tests read AICC_TEST_POSTGRES_URL).
# Each step's output is in $logs; the totals are read at the end.
sanitizer_checks() {
  renice -n 19 -p "$BASHPID" >/dev/null
  if ! scripts/build-sanitize.sh build-sanitize >"$logs/sanitize-build.log" 2>&1; then
    return 1
  fi
  scripts/run-gtest-executables.sh build-sanitize >"$logs/unit-sanitize.log" 2>&1
  # The fuzzers' report is read whatever their exit status (non-zero when one found something).
  scripts/run-fuzz.sh "${AICC_FUZZ_SECONDS:-10}" build-sanitize >"$logs/fuzz.log" 2>&1
  return 0
}
sanitize_pid=""
if command -v clang++ >/dev/null 2>&1; then
  echo "== unit tests under ASan + UBSan and fuzzers: built and run in the background (clang)"
  sanitizer_checks &
  sanitize_pid=$!
fi

# The suites need the server, the load generator and the pages; the unit tests only without clang.
echo "== build (Release, $build)"
build_targets=()
[[ -n "$sanitize_pid" ]] && build_targets=(--target aicc-chat aicc-loadgen web)
if ! cmake --build "$build" -j "$(nproc)" "${build_targets[@]}"; then
  echo "run-tests: the Release build failed" >&2
  failed=$((failed + 1))
fi

if [[ -z "$sanitize_pid" ]]; then
  echo "clang++ not installed: the unit tests run in the Release tree, and the sanitizers and"
  echo "fuzzers are skipped (scripts/install-deps.sh --test installs clang)"
  echo "== unit tests (ctest)"
  run_ctest ctest "$build"
fi

# What `make package` makes, from the build above (nothing compiled again); package.test.mjs in the
# integration suite checks it, and fails on the missing file when this step failed.
echo "== Debian package (packaging/debian/build-deb.sh)"
if AICC_DEB=$(packaging/debian/build-deb.sh "$build" | tail -n 1) && [[ -f "$AICC_DEB" ]]; then
  echo "$AICC_DEB"
else
  echo "run-tests: the Debian package was not built; package.test.mjs fails" >&2
  AICC_DEB="$build/aicc-chat-package-not-built.deb"
fi
export AICC_DEB

echo "== formatting (clang-format)"
if scripts/check-format.sh; then passed=$((passed + 1)); else failed=$((failed + 1)); fi

# A node --test run of `folder` (or of the files given after it), `files_at_once` test files at a
# time, its output in $logs/<name>.log, its totals added to ours. Every file starts its own servers
# on free ports with their own data folders, so files can run side by side; most of a file's time is
# spent waiting on timers and sockets, which is why several at once finish sooner even on 2 cores.
# lib/record-api.mjs is loaded into every test process: it records the server's HTTP answers when
# AICC_API_RECORD_DIR is set (the integration suites), and does nothing otherwise.
run_node_suite() {
  local name=$1 files_at_once=$2
  shift 2
  AICC_BINARY="$build/aicc-chat" AICC_WEB_ROOT="$build/web" AICC_SCREENSHOT_DIR="$build/screenshots" \
    node --import ./tests/integration/lib/record-api.mjs --test --test-reporter=spec \
    --test-concurrency="$files_at_once" "$@" 2>&1 |
    tee "$logs/$name.log"
  local suite_passed suite_failed suite_cancelled
  suite_passed=$(grep -E "^ℹ pass [0-9]+" "$logs/$name.log" | tail -1 | awk '{print $3}')
  suite_failed=$(grep -E "^ℹ fail [0-9]+" "$logs/$name.log" | tail -1 | awk '{print $3}')
  # Tests whose before hook failed, or whose file timed out, are reported as cancelled: failures too.
  suite_cancelled=$(grep -E "^ℹ cancelled [0-9]+" "$logs/$name.log" | tail -1 | awk '{print $3}')
  if [[ -n "$suite_passed" && -n "$suite_failed" ]]; then
    passed=$((passed + suite_passed))
    failed=$((failed + suite_failed + ${suite_cancelled:-0}))
  else
    echo "run-tests: the $name runner printed no summary" >&2
    failed=$((failed + 1))
  fi
}

echo "== integration tests (real binary, npm clients)"
api_records="$build/api-responses"
[[ $api_records == /* ]] || api_records="$PWD/$api_records"
rm -rf "$api_records"
export AICC_API_RECORD_DIR="$api_records"
run_node_suite integration 4 tests/integration/

# The whole suite passes on PostgreSQL too (4 minutes more); make test runs the part that
# exercises the store, each server in a schema of its own.
echo "== integration tests on PostgreSQL (store.kind postgres: the suites that exercise the store)"
store_suites=(canned-responses console-views contact-center-journey contact-center-restart
  contact-center-rooms contact-center-routing conversation-history durable-receipts identity-cli
  identity-revocation retention-erasure room-group-commit room-replay store-failures user-admin)
store_files=()
for suite in "${store_suites[@]}"; do store_files+=("tests/integration/$suite.test.mjs"); done
AICC_TEST_STORE=postgres run_node_suite integration-postgres 4 "${store_files[@]}"
unset AICC_API_RECORD_DIR

echo "== the integration suites' HTTP answers against the API document (docs/openapi.json)"
node scripts/check-api-responses.mjs "$api_records" 2>&1 | tee "$logs/api-responses.log"
summary=$(grep -E "^[0-9]+ passed, [0-9]+ failed$" "$logs/api-responses.log" | tail -1)
if [[ -n "$summary" ]]; then
  passed=$((passed + $(awk '{print $1}' <<<"$summary")))
  failed=$((failed + $(awk '{print $3}' <<<"$summary")))
else
  echo "run-tests: the API answers check printed no summary" >&2
  failed=$((failed + 1))
fi

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
# Two at a time: each file drives its own Chromium, which needs the CPU more than the servers do.
run_node_suite browser 2 tests/e2e/

if [[ -n "$sanitize_pid" ]]; then
  echo "== sanitizer build, unit tests and fuzzers (waiting for the background run to finish)"
  if wait "$sanitize_pid"; then
    echo "== unit tests under ASan + UBSan"
    cat "$logs/unit-sanitize.log"
    summary=$(grep -E "^[0-9]+ passed, [0-9]+ failed$" "$logs/unit-sanitize.log" | tail -1)
    if [[ -n "$summary" ]]; then
      passed=$((passed + $(awk '{print $1}' <<<"$summary")))
      failed=$((failed + $(awk '{print $3}' <<<"$summary")))
    else
      echo "run-tests: the sanitizer unit tests printed no summary" >&2
      failed=$((failed + 1))
    fi
    echo "== fuzzing smoke run (each fuzzer ${AICC_FUZZ_SECONDS:-10}s)"
    cat "$logs/fuzz.log"
    fuzzers_seen=0
    # The report's rows: "<fuzzer> <execs/s, or N runs> <findings>"; the findings are the last field.
    while read -r row; do
      fuzzers_seen=$((fuzzers_seen + 1))
      if [[ "${row##* }" == 0 ]]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
    done < <(sed -n '/^fuzzer .*findings$/,$p' "$logs/fuzz.log" | sed 1d | grep -E '^[a-z_]+ +([0-9]+|[0-9]+ runs) +[0-9]+$')
    if ((fuzzers_seen == 0)); then
      echo "run-tests: the fuzzers printed no report" >&2
      failed=$((failed + 1))
    fi
  else
    tail -40 "$logs/sanitize-build.log"
    echo "run-tests: the sanitizer build failed" >&2
    failed=$((failed + 1))
  fi
fi

echo
echo "== totals"
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
