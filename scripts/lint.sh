#!/usr/bin/env bash
# Runs clang-tidy (the checks in .clang-tidy) over the C++ sources of src/ and fuzz/, with the
# compile commands of a build tree (default: the sanitizer tree, configured if needed, since its
# flags are clang's). Prints each finding; exits non-zero when there is any.
#   scripts/lint.sh [build-dir]
set -uo pipefail

cd "$(dirname "$0")/.."
build=${1:-build-sanitize}
if [[ ! -f "$build/compile_commands.json" ]]; then
  scripts/build-sanitize.sh "$build" aicc_util >/dev/null || exit 1
fi
tidy=$(command -v run-clang-tidy || command -v run-clang-tidy-14 || true)
if [[ -z "$tidy" ]]; then
  echo "lint: run-clang-tidy is not installed (scripts/install-deps.sh --test installs clang-tidy)" >&2
  exit 1
fi
mapfile -t files < <(git ls-files 'src/*.cpp' 'fuzz/*.cpp')
log="$build/lint.log"
# Colour codes are stripped, so that the findings below can be counted.
"$tidy" -quiet -p "$build" -j "$(nproc)" "${files[@]/#/$PWD/}" 2>&1 |
  sed -E 's/\x1b\[[0-9;]*m//g' >"$log"
status=${PIPESTATUS[0]}
grep -E "(warning|error): " "$log" | sort -u
count=$(grep -cE "(warning|error): .*\[[a-z-]+(,[a-z-]+)*\]$" "$log" || true)
echo "lint: $count finding(s) in ${#files[@]} files (full output in $log)"
[[ $status -eq 0 && $count -eq 0 ]]
