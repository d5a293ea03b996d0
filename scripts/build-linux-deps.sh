#!/usr/bin/env bash
# The libraries the portable Linux programs link statically (-DVIGIL_PORTABLE=ON,
# cmake/portable.cmake; issue 19). Usage:
#   prefix=$(bash scripts/build-linux-deps.sh)
# Debian 12 packages CAF, date-tz, Duktape, spdlog and fmt only as shared
# libraries, under names no other distribution has (libcaf_core.so.0.17.6,
# libdate-tz.so.3, libduktape.so.207, libspdlog.so.1.10, libfmt.so.9): programs
# linked to them run on Debian 12 alone, and the
# .rpm built from them installs on no RHEL. This builds each, once, from
# Debian's source package of the version installed here, as a static library
# of position-independent code, into a cache outside the tree,
#   ${VIGIL_LINUX_CACHE:-~/.cache/vigil-linux}/<key>
# (the key hashes the compiler's version, each source version and `recipe`
# below; a machine that has the directory skips the step; an interrupted build
# leaves no half prefix: scripts/debian-source.sh's build_prefix). Prints the
# prefix's path on standard output, its progress on standard error.
# Expects the dependencies installed (scripts/install-deps.sh).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
log_name=build-linux-deps
source "$root/scripts/debian-source.sh"

# `recipe` counts changes to how they are built (the functions below): bump it.
recipe=1
deps=(actor-framework:libcaf-dev howardhinnant-date:libhowardhinnant-date-dev duktape:duktape-dev
      fmtlib:libfmt-dev spdlog:libspdlog-dev)
key_input=$(deps_key_input "$recipe" "$(dpkg-query -W -f='${Package} ${Version} ' g++-12 binutils)" \
              "${deps[@]}")
key=$(printf '%s\n' "$key_input" | sha256sum | cut -c1-16)
cache_root=${VIGIL_LINUX_CACHE:-$HOME/.cache/vigil-linux}
jobs=2
# The flags Vigil's own code is built with for size (cmake/vigil.cmake): the
# linker drops what the programs do not call.
cflags="-Os -g1 -fPIC -ffunction-sections -fdata-sections"

# CAF's core (debian-source.sh's caf_core_only), static, with the
# configuration Debian's shared library has (CAF's defaults): Vigil compiles
# against this build's headers (its generated build_config.hpp) all the same.
build_actor-framework() {
  cmake -S "$1" -B "$1/_build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_CXX_FLAGS_RELEASE="$cflags" -DCMAKE_POSITION_INDEPENDENT_CODE=ON \
    -DCMAKE_INSTALL_PREFIX="$stage" -DCMAKE_INSTALL_LIBDIR=lib -DCAF_BUILD_STATIC_ONLY=ON \
    "${caf_core_only[@]}"
  ninja -C "$1/_build" -j"$jobs" install
}

# date-tz is one file, tz.cpp, over the system's tz database: compiled with the
# definitions Debian's date::date and date::date-tz targets give their users
# (/usr/lib/x86_64-linux-gnu/cmake/date/dateTargets.cmake), which
# cmake/portable.cmake gives Vigil's code too.
build_howardhinnant-date() {
  mkdir -p "$stage/lib" "$1/_build"
  g++ -std=c++17 $cflags -DUSE_OS_TZDB=1 -DHAS_REMOTE_API=0 -DONLY_C_LOCALE=1 \
    -DHAS_STRING_VIEW=1 -I"$1/include" -c "$1/src/tz.cpp" -o "$1/_build/tz.o"
  ar rcs "$stage/lib/libdate-tz.a" "$1/_build/tz.o"
}

# Duktape ships as one prepared C file (its "src" distribution) with its
# default configuration, as Debian builds it.
build_duktape() {
  mkdir -p "$stage/lib" "$1/_build"
  gcc -std=c99 $cflags -I"$1/src" -c "$1/src/duktape.c" -o "$1/_build/duktape.o"
  ar rcs "$stage/lib/libduktape.a" "$1/_build/duktape.o"
}

# fmt, then spdlog over it, compiled as Debian compiles them (spdlog with
# the external fmt, SPDLOG_FMT_EXTERNAL), so Vigil's code compiles against
# them with the same definitions as against Debian's shared ones. Header-only
# (as the Windows build has them) compiled fmt's formatting into every
# translation unit: the whole build took three times as long.
cmake_static() {  # SOURCE-DIR CMAKE-ARGS...
  local src=$1
  shift
  cmake -S "$src" -B "$src/_build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_CXX_FLAGS_RELEASE="$cflags" -DCMAKE_POSITION_INDEPENDENT_CODE=ON \
    -DBUILD_SHARED_LIBS=OFF -DCMAKE_INSTALL_PREFIX="$stage" -DCMAKE_INSTALL_LIBDIR=lib "$@"
  ninja -C "$src/_build" -j"$jobs" install
}

build_fmtlib() {
  cmake_static "$1" -DFMT_TEST=OFF -DFMT_DOC=OFF
}

build_spdlog() {
  cmake_static "$1" -Dfmt_DIR="$stage/lib/cmake/fmt" -DSPDLOG_FMT_EXTERNAL=ON \
    -DSPDLOG_BUILD_SHARED=OFF -DSPDLOG_BUILD_EXAMPLE=OFF -DSPDLOG_BUILD_TESTS=OFF \
    -DSPDLOG_BUILD_BENCH=OFF
}

prefix=$cache_root/$key
build_prefix "$prefix" "$key_input" "" "${deps[@]}" >&2
echo "$prefix"
