#!/usr/bin/env bash
# Checks that every git-tracked C++ file is formatted as .clang-format says; prints the files that
# are not and exits non-zero. Fix them with: clang-format -i FILE...
set -uo pipefail

cd "$(dirname "$0")/.."
if ! command -v clang-format >/dev/null 2>&1; then
  echo "check-format: clang-format is not installed (scripts/install-deps.sh --test installs it)" >&2
  exit 1
fi
mapfile -t files < <(git ls-files '*.cpp' '*.hpp' '*.h' '*.cc')
# In batches on every core: one clang-format process per file took half a minute.
report=$(printf '%s\0' "${files[@]}" | xargs -0 -P "$(nproc)" -n 25 clang-format --dry-run --Werror 2>&1)
mapfile -t offending < <(grep -E '^[^:]+:[0-9]+:[0-9]+: error' <<<"$report" | cut -d: -f1 | sort -u)
if ((${#offending[@]} > 0)); then
  echo "check-format: ${#offending[@]} of ${#files[@]} C++ files are not formatted (clang-format -i):"
  printf '  %s\n' "${offending[@]}"
  exit 1
fi
echo "check-format: all ${#files[@]} C++ files are formatted"
