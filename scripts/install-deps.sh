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
  doctest-dev nlohmann-json3-dev libzstd-dev libarchive-dev
  duktape-dev
  libhowardhinnant-date-dev
  # tools the tests drive for real
  openssl tinyproxy python3 curl zstd procps iproute2 util-linux
  python3-jsonschema
  # systemd-analyze measures the agent's unit (tests/installer/service_unit_test)
  systemd
  # lintian checks the native package (tests/installer/native_package_test);
  # rpm gives rpmbuild for CPack's .rpm and `rpm --root` for its test
  # (tests/installer/rpm_package_test)
  lintian rpm
  # the platform's PostgreSQL store (storage/postgres_store): the client
  # library, and the server its tests start on loopback (initdb in a temporary
  # directory); haproxy balances two platform instances in the fleet tests
  libpq-dev postgresql-15 haproxy
  # baselines and load generators for bench/
  sqlite3 hyperfine wrk nginx-light python3-pacparser time
  # the Windows cross build (scripts/build-windows.sh): mingw-w64 GCC with posix
  # threads (std::thread, std::mutex), its tools, 64-bit Wine to run the tests,
  # and dpkg-dev for `apt-get source` of the dependencies it builds; wixl
  # (msitools) builds the MSI, msitools' msiinfo reads it in tests
  g++-mingw-w64-x86-64-posix mingw-w64-tools wine64 dpkg-dev wixl msitools
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
  # Servers among the packages (nginx, tinyproxy) must not start system-wide
  # on every interface: the tests start their own on loopback. policy-rc.d
  # tells Debian's maintainer scripts not to start services during install.
  guard=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
    $SUDO chmod +x /usr/sbin/policy-rc.d
    guard=1
    trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"

else
  echo "install-deps: all ${#packages[@]} packages present"
fi
