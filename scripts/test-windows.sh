#!/usr/bin/env bash
# Runs every test program of a Windows build (default $VIGIL_WINDOWS_BUILD_DIR,
# else ./build-win, made by scripts/build-windows.sh) under 64-bit Wine, each
# once with all its cases, and prints the cases each ran, passed and failed.
# Then runs the end-to-end test (tests/wine: the agent as a service in a
# private Wine prefix, the Linux build's vigil-platform); VIGIL_WINE_E2E=0
# skips it.
# Exits non-zero when one fails or the end-to-end test could not run.
#   bash scripts/test-windows.sh [BUILD-DIR] [doctest options...]
# `ctest --test-dir build-win -L unit` runs the same cases one Wine process each.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-${VIGIL_WINDOWS_BUILD_DIR:-$root/build-win}}
shift $(($# > 0 ? 1 : 0))
shopt -s nullglob
programs=("$build"/tests/*.exe)
((${#programs[@]})) || { echo "test-windows: no test programs in $build/tests" >&2; exit 1; }

total=0 passed=0 failed=0 broken=0
for exe in "${programs[@]}"; do
  name=$(basename "$exe")
  start=$SECONDS
  set +e
  output=$("$root/cmake/wine-run.sh" "$exe" --no-version=true "$@" 2>&1)
  rc=$?
  set -e
  # doctest's summary: "[doctest] test cases: 98 | 98 passed | 0 failed | 0 skipped"
  read -r n p f < <(awk -F'|' '/^\[doctest\] test cases:/ {
      split($1, a, ":"); print a[2] + 0, $2 + 0, $3 + 0 }' <<<"$output") || true
  if [ -z "${n:-}" ]; then
    echo "$output"
    echo "test-windows: $name: exit $rc with no doctest summary" >&2
    broken=$((broken + 1))
    continue
  fi
  if ((rc != 0 || f != 0)); then
    echo "$output"
    ((f)) || broken=$((broken + 1))
  fi
  printf 'test-windows: %-18s %4d cases, %4d passed, %d failed (%d s)\n' "$name" "$n" "$p" "$f" $((SECONDS - start))
  total=$((total + n)) passed=$((passed + p)) failed=$((failed + f))
  unset n p f
done
printf 'test-windows: %d programs, %d cases, %d passed, %d failed\n' \
  "${#programs[@]}" "$total" "$passed" "$failed"

# End to end: the agent as a Windows service in a private Wine prefix against
# the Linux build's vigil-platform (tests/wine). It is a Linux program, built
# by scripts/build.sh; the cases above are the Windows build's own.
e2e=$root/build/tests/wine_agent_test
e2e_failed=0
if [ "${VIGIL_WINE_E2E:-1}" = 0 ]; then
  echo "test-windows: end to end under Wine not run (VIGIL_WINE_E2E=0)"
elif [ -x "$e2e" ] && [ -f "$build/bin/vigil-agent.exe" ]; then
  start=$SECONDS
  if VIGIL_WINDOWS_BUILD_DIR=$build "$e2e" "$@"; then
    echo "test-windows: end to end under Wine passed ($((SECONDS - start)) s)"
  else
    echo "test-windows: end to end under Wine FAILED ($((SECONDS - start)) s)" >&2
    e2e_failed=1
  fi
else
  echo "test-windows: end to end under Wine not run: needs $e2e (scripts/build.sh) and" \
    "$build/bin/vigil-agent.exe" >&2
  e2e_failed=1
fi
((failed == 0 && broken == 0 && e2e_failed == 0))
