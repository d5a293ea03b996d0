#!/usr/bin/env bash
# The unit tests under AddressSanitizer and UndefinedBehaviorSanitizer (issue
# 15): a second build in ./build-asan (-DVIGIL_SANITIZE=ON, -O1 -g1 so it
# compiles fast and still names lines), then every ctest entry labelled unit.
# Any report fails the run: ASan aborts on its first error, UBSan halts on
# its first finding (-fsanitize=undefined recovers otherwise), LeakSanitizer
# reports what the process leaked at exit.
# scripts/test.sh runs it after the main suite; VIGIL_SANITIZE_TESTS=all runs
# every entry (integration and slow too: about three times the main suite).
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Release \
  "-DCMAKE_CXX_FLAGS_RELEASE=-O1 -g1" -DVIGIL_SANITIZE=ON >/dev/null
cmake --build build-asan
echo "sanitized build: $(( $(date +%s) - start )) s"
cd build-asan
export ASAN_OPTIONS="abort_on_error=1:detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1"
# Findings in Debian's library headers (CAF), not Vigil's: scripts/ubsan.supp.
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:suppressions=$PWD/../scripts/ubsan.supp"
labels=(-L unit)
[ "${VIGIL_SANITIZE_TESTS:-unit}" = all ] && labels=()
ctest --output-on-failure --timeout 900 -j2 "${labels[@]}"
