#!/usr/bin/env bash
# Installs the dependencies (scripts/install-deps.sh, the only way they arrive),
# then configures and builds Vigil into ./build with Ninja and ccache.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE="${VIGIL_BUILD_TYPE:-RelWithDebInfo}" >/dev/null
cmake --build build
