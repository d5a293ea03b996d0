# Portable Linux programs (issue 19; on in scripts/build.sh, so in the .deb, the
# .rpm and vigil-setup): every library a RHEL 9 host does not have under the
# name Debian 12 gives it is linked statically, and nothing asks for a loader
# newer than glibc 2.34 (RHEL 9's). What is left to the host is glibc (libc,
# libm), libgcc_s.so.1 and libarchive.so.13 (vigil-setup and vigil-uninstall
# read archives with it; RHEL 9's BaseOS has libarchive 3.5, Debian 12 3.6:
# same soname, and the functions Vigil calls are older than both).
# tests/installer/rpm_package_test checks the .rpm's requirements, and
# vigil-setup's, against what RHEL 9 has.
#
# Included by CMakeLists.txt after RocksDB is found and before the other
# libraries are: it defines the targets and variables the folders link
# (spdlog::spdlog, CAF_CORE_LIBRARY, date::date-tz, PkgConfig::DUKTAPE,
# ZSTD_LIBRARY) from
#   - VIGIL_PORTABLE_DEPS, scripts/build-linux-deps.sh's prefix: CAF's core,
#     date-tz, Duktape, spdlog and fmt built from Debian's sources as static
#     libraries (Debian has no static archives of them; spdlog and fmt
#     header-only, as the Windows build has them, tripled the build's time);
#   - Debian's own static archives of the compression libraries RocksDB and
#     the protocol use (zstd, lz4, snappy, zlib, bzip2: Debian names bzip2's
#     soname libbz2.so.1.0 where RHEL has libbz2.so.1).
# cmake/vigil.cmake adds -static-libstdc++ (RHEL 9's libstdc++ is GCC 11's:
# GCC 12's code asks for GLIBCXX_3.4.30) and common/portable_arc4random.cpp,
# and leaves out packed relocations (DT_RELR needs glibc 2.36's loader).

set(VIGIL_PORTABLE_DEPS "" CACHE PATH "scripts/build-linux-deps.sh's prefix (VIGIL_PORTABLE)")
if(NOT EXISTS "${VIGIL_PORTABLE_DEPS}/lib/libcaf_core_static.a")
  message(FATAL_ERROR "VIGIL_PORTABLE needs VIGIL_PORTABLE_DEPS, the prefix "
    "scripts/build-linux-deps.sh prints (no libcaf_core_static.a in '${VIGIL_PORTABLE_DEPS}')")
endif()

# The archive of a Debian library, by file name: fails the configuration when
# the -dev package that ships it is missing.
function(vigil_static_archive var file)
  find_file(${var} ${file} PATHS /usr/lib/${CMAKE_LIBRARY_ARCHITECTURE} NO_DEFAULT_PATH REQUIRED)
endfunction()
foreach(lib zstd lz4 snappy z bz2)
  vigil_static_archive(VIGIL_STATIC_${lib} lib${lib}.a)
endforeach()

# RocksDB's exported link interface names the shared libraries (and gflags,
# which Vigil never calls): the archives instead.
set_target_properties(RocksDB::rocksdb PROPERTIES INTERFACE_LINK_LIBRARIES
  "${VIGIL_STATIC_snappy};${VIGIL_STATIC_z};${VIGIL_STATIC_bz2};${VIGIL_STATIC_lz4};${VIGIL_STATIC_zstd}")
set(ZSTD_LIBRARY ${VIGIL_STATIC_zstd})

# CAF: cmake/vigil.cmake puts VIGIL_CAF_PREFIX's headers (with this build's
# build_config.hpp) ahead of Debian's.
set(VIGIL_CAF_PREFIX ${VIGIL_PORTABLE_DEPS})
set(CAF_CORE_LIBRARY ${VIGIL_PORTABLE_DEPS}/lib/libcaf_core_static.a)

# spdlog as Debian's spdlog::spdlog has it, less SPDLOG_SHARED_LIB (symbol
# visibility of a shared library); the headers are Debian's, of the same
# versions the archives were built from.
add_library(vigil_fmt STATIC IMPORTED)
set_target_properties(vigil_fmt PROPERTIES IMPORTED_LOCATION ${VIGIL_PORTABLE_DEPS}/lib/libfmt.a)
add_library(spdlog::spdlog STATIC IMPORTED)
set_target_properties(spdlog::spdlog PROPERTIES
  IMPORTED_LOCATION ${VIGIL_PORTABLE_DEPS}/lib/libspdlog.a
  INTERFACE_COMPILE_DEFINITIONS "SPDLOG_COMPILED_LIB;SPDLOG_FMT_EXTERNAL"
  INTERFACE_LINK_LIBRARIES "vigil_fmt;Threads::Threads")

# date-tz with the definitions Debian's date::date and date::date-tz give
# their users (the ones it was compiled with: scripts/build-linux-deps.sh).
add_library(date::date-tz STATIC IMPORTED GLOBAL)
set_target_properties(date::date-tz PROPERTIES
  IMPORTED_LOCATION ${VIGIL_PORTABLE_DEPS}/lib/libdate-tz.a
  INTERFACE_COMPILE_DEFINITIONS "USE_OS_TZDB=1;HAS_REMOTE_API=0;ONLY_C_LOCALE=1;HAS_STRING_VIEW=1")

add_library(PkgConfig::DUKTAPE STATIC IMPORTED GLOBAL)
set_target_properties(PkgConfig::DUKTAPE PROPERTIES
  IMPORTED_LOCATION ${VIGIL_PORTABLE_DEPS}/lib/libduktape.a
  INTERFACE_LINK_LIBRARIES m)
