#!/usr/bin/env bash
# Cross-builds Vigil for 64-bit Windows with Debian's mingw-w64 GCC and runs its
# unit tests under Wine (issue 20). Usage:
#   bash scripts/build-windows.sh [--no-test]
# 1. installs the toolchain and Wine (scripts/install-deps.sh);
# 2. builds zstd, OpenSSL, CAF and RocksDB from Debian's source packages, once, as
#    static libraries into a cache outside the tree,
#      ${VIGIL_WINDOWS_CACHE:-~/.cache/vigil-windows}/<key>
#    where the key hashes the compiler's version, the source version of each
#    dependency installed on this machine and `recipe` below: a machine that has
#    the directory skips the step. The build happens in a temporary directory next
#    to it and is renamed into place at the end, so an interrupted build leaves no
#    half cache. Libraries added later (libarchive, for the installers) are
#    layers: a copy of the prefix below plus the library, keyed by the prefix's
#    key and the library's version, so adding one builds only it;
# 3. configures and builds ./build-win (or $VIGIL_WINDOWS_BUILD_DIR) with
#    cmake/mingw-w64-x86_64.cmake: the folders that are pure logic (common,
#    protocol), the host seam with its Windows implementations, storage (memory
#    and RocksDB stores), scan (the collectors with a Windows meaning), and
#    their unit tests, each a static .exe that imports only system DLLs
#    (cmake/windows.cmake);
# 4. unless --no-test: runs every test program under 64-bit Wine (cmake/wine-run.sh)
#    and exits non-zero when a test fails.
# Boost, spdlog/fmt (header-only), nlohmann-json and doctest are the build
# machine's headers.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

run_tests=1
for arg in "$@"; do
  case $arg in
    --no-test) run_tests=0 ;;
    -h|--help) sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "build-windows: unknown argument '$arg' (see --help)" >&2; exit 2 ;;
  esac
done

bash "$root/scripts/install-deps.sh"

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
triplet=x86_64-w64-mingw32
cxx=$triplet-g++-posix
toolchain=$root/cmake/mingw-w64-x86_64.cmake

# ensure_deb_src, fetch_source, build_prefix: Debian source packages built into a
# cached prefix (shared with build-linux-deps.sh and test-tsan.sh).
log_name=build-windows
source "$root/scripts/debian-source.sh"

# What the dependencies are built from: Debian's source package of the library
# the Linux build uses, at the version installed here. `recipe` counts changes
# to how they are built (the functions below, the toolchain's flags): bump it.
recipe=2
deps=(libzstd:libzstd-dev openssl:libssl-dev actor-framework:libcaf-dev rocksdb:librocksdb-dev)
# The compiler's own --version says only "12-posix": the Debian versions of the
# compiler, its runtime (headers, import libraries) and binutils say which.
key_input=$(deps_key_input "$recipe" "$(dpkg-query -W -f='${Package} ${Version} ' \
              g++-mingw-w64-x86-64-posix mingw-w64-x86-64-dev binutils-mingw-w64-x86-64)" "${deps[@]}")
key=$(printf '%s\n' "$key_input" | sha256sum | cut -c1-16)
cache_root=${VIGIL_WINDOWS_CACHE:-$HOME/.cache/vigil-windows}
prefix=$cache_root/$key
jobs=2


cmake_dep() {  # SOURCE-DIR BUILD-DIR CMAKE-ARGS...
  local src=$1 build=$2
  shift 2
  cmake -S "$src" -B "$build" -G Ninja -DCMAKE_TOOLCHAIN_FILE="$toolchain" \
    -DVIGIL_WINDOWS_DEPS="$stage" -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$stage" \
    -DCMAKE_INSTALL_LIBDIR=lib -DBUILD_SHARED_LIBS=OFF "$@"
  ninja -C "$build" -j"$jobs" install
}

build_libzstd() {
  cmake_dep "$1/build/cmake" "$1/_build" -DZSTD_BUILD_SHARED=OFF -DZSTD_BUILD_STATIC=ON \
    -DZSTD_BUILD_PROGRAMS=OFF -DZSTD_BUILD_TESTS=OFF -DZSTD_BUILD_CONTRIB=OFF
}

build_openssl() {
  (cd "$1" && ./Configure mingw64 no-shared no-tests --cross-compile-prefix=$triplet- \
                 --prefix="$stage" --libdir=lib &&
     make -j"$jobs" build_libs && make install_dev)
}

# A `thread_local` object with a destructor is destroyed after its storage is
# freed when a thread ends, with mingw-w64's emulated TLS and winpthreads: the
# key that frees the storage (libgcc's emutls) was made before the key that
# runs the destructors (libstdc++'s __cxa_thread_atexit), and winpthreads runs
# key destructors in order. The agent crashed so when a thread that had used
# CAF ended (an access violation in caf::ref_counted::deref from CAF's
# `thread_local intrusive_ptr<logger>`; found with WINEDEBUG=warn+heap, which
# fills freed memory with 0xfeee). CAF_NO_THREAD_LOCAL makes CAF keep that
# pointer under a pthread key (its macOS path); NPERF_CONTEXT drops RocksDB's
# thread_local PerfContext, which Vigil does not read. What is left in both is
# trivially destructible.
build_actor-framework() {
  cmake_dep "$1" "$1/_build" -DCAF_BUILD_STATIC_ONLY=ON "${caf_core_only[@]}" \
    -DCMAKE_CXX_FLAGS=-DCAF_NO_THREAD_LOCAL
}

build_rocksdb() {
  cmake_dep "$1" "$1/_build" -DWITH_ZSTD=ON -Dzstd_ROOT_DIR="$stage" -DWITH_GFLAGS=OFF \
    -DWITH_SNAPPY=OFF -DWITH_LZ4=OFF -DWITH_ZLIB=OFF -DWITH_BZ2=OFF -DWITH_JEMALLOC=OFF \
    -DWITH_TESTS=OFF -DWITH_BENCHMARK_TOOLS=OFF -DWITH_TOOLS=OFF -DWITH_CORE_TOOLS=OFF \
    -DWITH_TRACE_TOOLS=OFF -DWITH_JNI=OFF -DROCKSDB_BUILD_SHARED=OFF -DFAIL_ON_WARNINGS=OFF \
    -DPORTABLE=ON -DROCKSDB_INSTALL_ON_WINDOWS=ON -DCMAKE_CXX_FLAGS=-DNPERF_CONTEXT
}

# libarchive, for the installers (vigil-setup.exe reads its payload with it, as
# vigil-setup does on Linux): tar and ar with zstd only, no other filter, no
# crypto, no programs; the static library alone is built (the shared one would
# want what is left out). mingw names it libarchive_static.a; it goes in as
# libarchive.a, the name every other system gives it.
build_libarchive() {
  local off
  off=$(printf -- '-DENABLE_%s=OFF ' OPENSSL LIBB2 LZ4 LZMA ZLIB BZip2 LIBXML2 EXPAT PCREPOSIX \
          LIBGCC CNG TAR CPIO CAT XATTR ACL ICONV TEST)
  # shellcheck disable=SC2086
  cmake -S "$1" -B "$1/_build" -G Ninja -DCMAKE_TOOLCHAIN_FILE="$toolchain" \
    -DVIGIL_WINDOWS_DEPS="$stage" -DCMAKE_BUILD_TYPE=Release $off -DPOSIX_REGEX_LIB=NONE \
    -DENABLE_ZSTD=ON -DZSTD_INCLUDE_DIR="$stage/include" -DZSTD_LIBRARY="$stage/lib/libzstd.a"
  ninja -C "$1/_build" -j"$jobs" archive_static
  install -m 0644 "$1/libarchive/archive.h" "$1/libarchive/archive_entry.h" "$stage/include/"
  install -m 0644 "$1/_build/libarchive/libarchive_static.a" "$stage/lib/libarchive.a"
}

build_prefix "$prefix" "$key_input" "" "${deps[@]}"
# The layers over it (source:dev-package:recipe): each keyed by the prefix
# below it and its own version and recipe.
layers=(libarchive:libarchive-dev:1)
for layer in "${layers[@]}"; do
  IFS=: read -r pkg dev layer_recipe <<<"$layer"
  layer_input="layer $pkg $(dpkg-query -W -f='${source:Version}' "$dev") recipe $layer_recipe"
  key=$(printf '%s\n%s\n' "$key" "$layer_input" | sha256sum | cut -c1-16)
  build_prefix "$cache_root/$key" "$layer_input" "$prefix" "$pkg:$dev"
  prefix=$cache_root/$key
done

build=${VIGIL_WINDOWS_BUILD_DIR:-$root/build-win}
start=$SECONDS
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_TOOLCHAIN_FILE="$toolchain" \
  -DVIGIL_WINDOWS_DEPS="$prefix" -DCMAKE_BUILD_TYPE="${VIGIL_BUILD_TYPE:-RelWithDebInfo}" >/dev/null
VIGIL_WINDOWS_CACHE=$cache_root ninja -C "$build" -j"$jobs"
echo "build-windows: Vigil built in $((SECONDS - start)) s"

if ((run_tests)); then
  VIGIL_WINDOWS_CACHE=$cache_root bash "$root/scripts/test-windows.sh" "$build"
fi
