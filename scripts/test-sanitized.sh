#!/usr/bin/env bash
# The unit tests under AddressSanitizer and UndefinedBehaviorSanitizer (issue
# 15): a second build in ./build-asan (-DVIGIL_SANITIZE=ON, -O1 -g1 so it
# compiles fast and still names lines), then every ctest entry labelled unit.
# Any report fails the run: ASan aborts on its first error, UBSan halts on
# its first finding (-fsanitize=undefined recovers otherwise), LeakSanitizer
# reports what the process leaked at exit; ASan's and LeakSanitizer's reports
# from every program, daemons too, land in build-asan/sanitizer-reports.
# scripts/test.sh runs it after the main suite; VIGIL_SANITIZE_TESTS=all runs
# every entry (integration and slow too: about three times the main suite).
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
# Unit entries only (the default): the binaries that hold them
# (vigil-unit-tests), without the programs, payload and packages their
# integration cases run (VIGIL_UNIT_TESTS_ONLY): under ASan those took a third
# of a cold build's 40 min. VIGIL_SANITIZE_TESTS=all builds everything.
unit_only=ON
target=(--target vigil-unit-tests)
if [ "${VIGIL_SANITIZE_TESTS:-unit}" = all ]; then
  unit_only=OFF
  target=()
fi
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Release \
  "-DCMAKE_CXX_FLAGS_RELEASE=-O1 -g1" -DVIGIL_SANITIZE=ON -DVIGIL_UNIT_TESTS_ONLY=$unit_only >/dev/null
cmake --build build-asan "${target[@]}"
echo "sanitized build: $(( $(date +%s) - start )) s"
cd build-asan
export ASAN_OPTIONS="abort_on_error=1:detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1"
# Findings in Debian's library headers (CAF), not Vigil's: scripts/ubsan.supp.
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:suppressions=$PWD/../scripts/ubsan.supp"
labels=(-L unit)
[ "${VIGIL_SANITIZE_TESTS:-unit}" = all ] && labels=()
# Every program writes its ASan reports here (common/sanitizer_defaults.cpp),
# daemons included: a report fails the run even when the test did not notice.
reports=$PWD/sanitizer-reports
rm -rf "$reports"
mkdir -p "$reports"
status=0
ctest --output-on-failure --timeout 900 -j2 "${labels[@]}" || status=$?
# Daemons' standard error (common/sanitizer_defaults.cpp): the files with
# UBSan's "runtime error" are kept as reports (ubsan.stderr.<pid>); the rest
# hold programs' ordinary messages or nothing.
stderr_dir=$reports/daemon-stderr
if [ -d "$stderr_dir" ]; then
  for file in $(grep -l -e 'runtime error' -e 'Sanitizer' -r "$stderr_dir" || true); do
    mv "$file" "$reports/ubsan.$(basename "$file")"
  done
  rm -rf "$stderr_dir"
fi
if [ -n "$(ls -A "$reports")" ]; then
  echo "test-sanitized: sanitizer reports in $reports:"
  for report in "$reports"/*; do
    echo "== $report"
    head -n 60 "$report"
  done
  status=1
fi
exit $status
