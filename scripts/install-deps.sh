#!/usr/bin/env bash
# The one way Vigil's dependencies arrive: every Debian package the project needs to
# build, test and benchmark. Idempotent: packages already installed are not touched,
# and apt is not contacted at all when nothing is missing.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build ccache pkg-config git
  # libraries (DESIGN.md's stack)
  libcaf-dev libboost-dev libssl-dev librocksdb-dev libspdlog-dev libfmt-dev
  doctest-dev nlohmann-json3-dev libzstd-dev libarchive-dev libsystemd-dev
  # tools the tests drive for real
  openssl tinyproxy python3 procps iproute2 util-linux
  # baselines for bench/
  sqlite3 hyperfine
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "install-deps: all ${#packages[@]} packages present"
fi
