#!/usr/bin/env bash
# Installs the dependencies (scripts/install-deps.sh, the only way they arrive),
# builds the libraries the portable programs link statically (once, cached:
# scripts/build-linux-deps.sh), then configures and builds Vigil into ./build
# with Ninja and ccache: portable programs (cmake/portable.cmake), the ones the
# .deb, the .rpm and vigil-setup carry.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
deps=$(bash scripts/build-linux-deps.sh)
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE="${VIGIL_BUILD_TYPE:-RelWithDebInfo}" \
  -DVIGIL_PORTABLE=ON -DVIGIL_PORTABLE_DEPS="$deps" >/dev/null
cmake --build build
