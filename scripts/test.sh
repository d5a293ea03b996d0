#!/usr/bin/env bash
# The whole test suite: install, build, then every ctest entry (unit and
# integration tests against the real binaries). .ci/run runs exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
bash scripts/build.sh
echo "build: $(( $(date +%s) - start )) s"
cd build
ctest --output-on-failure --timeout 900 -j2
