#!/usr/bin/env bash
# The whole test suite: install, build, then every ctest entry, four at a time.
# .ci/run runs exactly this. Each doctest case is its own entry, labelled unit,
# integration (real binaries, servers, processes) or slow (cmake/vigil.cmake):
# in build/, `ctest -L unit` runs the fast ones alone, `ctest -R 'NAME'` one
# case, and `VIGIL_TEST_SEED=N` replays a case's logged random choices.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
bash scripts/build.sh
echo "build: $(( $(date +%s) - start )) s"
cd build
# Four entries at a time on two cores: the integration entries mostly wait
# (agents' timers, platforms, SIGKILL rounds): at -j2 the suite kept the
# cores 27 % busy (285 s CPU in 530 s). -j4: 299 s instead of 469-530 s.
ctest --output-on-failure --timeout 900 -j4
cd ..
# The unit tests again under AddressSanitizer + UBSan (issue 15).
bash scripts/test-sanitized.sh
# Windows: the cross-build and its tests under Wine (issue 20). The dependencies
# come from a cache outside the tree once built (about 25 min cold).
start=$(date +%s)
bash scripts/build-windows.sh
echo "windows build and tests: $(( $(date +%s) - start )) s"
