# The Windows build (scripts/build-windows.sh, cmake/mingw-w64-x86_64.cmake), included
# by the top-level CMakeLists.txt in place of its Linux part. It builds the
# agent's folders: pure logic (common, protocol), the host seam with its Windows
# implementations (host/windows: the registry, the service control manager,
# DPAPI, job objects...), storage (the memory and RocksDB stores; not
# PostgreSQL), scan (the collectors with a Windows meaning: scan/windows), net
# (trust from the Windows certificate store; no PAC yet), actors with
# vigil-agent.exe (a Windows service), the tools shipped there
# (vigil-proxy.exe, vigil-healthcheck.exe), the installers (vigil-setup.exe,
# vigil-uninstall.exe: issue 21), and their unit tests. Not the platform nor
# vigil-reg (Windows has reg.exe).
#
# Libraries: zstd, OpenSSL, CAF and RocksDB are the static ones the script built
# into VIGIL_WINDOWS_DEPS; Boost, spdlog and fmt (header-only), nlohmann-json and
# doctest are the build machine's headers. Every one of them is a SYSTEM include:
# their warnings are not ours.
if(NOT VIGIL_WINDOWS_DEPS OR NOT EXISTS ${VIGIL_WINDOWS_DEPS}/lib)
  message(FATAL_ERROR "VIGIL_WINDOWS_DEPS: no dependency prefix; scripts/build-windows.sh makes it")
endif()
set(deps ${VIGIL_WINDOWS_DEPS})

# Line tables only (-g1, after the build type's -g, so it wins): enough for
# winedbg's and addr2line's backtraces. Full -g made static programs of
# 100-700 MB (vigil-agent.exe 694 MB, mostly the debug information of CAF's
# and Beast's templates), which Wine maps whole (the agent's resident memory
# was 690 MB) and whose links took minutes each.
add_compile_options($<$<CONFIG:RelWithDebInfo,Debug>:-g1>)

# The header-only libraries, each through a link to its own folder of /usr/include:
# /usr/include itself holds glibc's headers, which must not shadow mingw's.
set(host_include ${PROJECT_BINARY_DIR}/host-include)
file(MAKE_DIRECTORY ${host_include})
foreach(dir boost fmt spdlog nlohmann doctest)
  if(NOT EXISTS /usr/include/${dir})
    message(FATAL_ERROR "/usr/include/${dir} missing: run scripts/install-deps.sh")
  endif()
  file(CREATE_LINK /usr/include/${dir} ${host_include}/${dir} SYMBOLIC)
endforeach()

function(vigil_windows_static_library target file)
  add_library(${target} STATIC IMPORTED)
  set_target_properties(${target} PROPERTIES IMPORTED_LOCATION ${deps}/lib/${file}
    INTERFACE_INCLUDE_DIRECTORIES ${deps}/include INTERFACE_LINK_LIBRARIES "${ARGN}")
endfunction()
# The system libraries each one needs: OpenSSL's Configurations/10-main.conf
# (mingw64), CAF's CMakeLists.txt (MINGW).
vigil_windows_static_library(OpenSSL::Crypto libcrypto.a ws2_32 gdi32 crypt32)
vigil_windows_static_library(OpenSSL::SSL libssl.a OpenSSL::Crypto)
vigil_windows_static_library(vigil_caf_core libcaf_core_static.a ws2_32 iphlpapi psapi)
set(CAF_CORE_LIBRARY vigil_caf_core)
# protocol/ finds zstd by name: a normal variable answers its find_library (policy
# CMP0125), so a cache entry left by an older prefix is never used.
vigil_windows_static_library(vigil_zstd libzstd.a)
set(ZSTD_LIBRARY vigil_zstd)
# storage/ links RocksDB::rocksdb (its VIGIL_ROCKSDB_TARGET); the system
# libraries are RocksDB's own CMakeLists.txt's for WIN32 (its exported
# RocksDBTargets.cmake names them as MSVC's shlwapi.lib and rpcrt4.lib).
vigil_windows_static_library(RocksDB::rocksdb librocksdb.a vigil_zstd shlwapi rpcrt4)
# The installers' archives (tar and ar with zstd): a static libarchive asks its
# users for LIBARCHIVE_STATIC (no dllimport); bcrypt for its random numbers.
vigil_windows_static_library(archive libarchive.a vigil_zstd bcrypt)
set_property(TARGET archive APPEND PROPERTY INTERFACE_COMPILE_DEFINITIONS LIBARCHIVE_STATIC)

add_library(spdlog::spdlog INTERFACE IMPORTED)
# Debian's spdlog takes fmt from outside (its tweakme.h); both header-only here.
set_target_properties(spdlog::spdlog PROPERTIES INTERFACE_INCLUDE_DIRECTORIES ${host_include}
  INTERFACE_COMPILE_DEFINITIONS "SPDLOG_FMT_EXTERNAL;FMT_HEADER_ONLY")
foreach(target nlohmann_json::nlohmann_json doctest::doctest)
  add_library(${target} INTERFACE IMPORTED)
  set_target_properties(${target} PROPERTIES INTERFACE_INCLUDE_DIRECTORIES ${host_include})
endforeach()
# doctest's CMake functions (doctest_discover_tests) are plain CMake: the build
# machine's serve.
list(APPEND CMAKE_MODULE_PATH /usr/lib/cmake/doctest)

include(cmake/vigil.cmake)
# CAF's headers, included everywhere through vigil_options like its library.
target_include_directories(vigil_options SYSTEM INTERFACE ${deps}/include ${host_include})
# gmtime_r and localtime_r: mingw-w64's <time.h> defines them (over gmtime_s)
# when asked for POSIX's thread-safe functions.
target_compile_definitions(vigil_options INTERFACE _POSIX_THREAD_SAFE_FUNCTIONS=200112L)
# Each program one .exe importing only system DLLs: no libstdc++/libgcc/winpthread DLLs
# to ship next to it.
target_link_options(vigil_options INTERFACE -static -static-libgcc -static-libstdc++)

add_subdirectory(common)
add_subdirectory(protocol)
add_subdirectory(host)
add_subdirectory(storage)
add_subdirectory(scan)
add_subdirectory(net)
add_subdirectory(actors)
add_subdirectory(tools)
add_subdirectory(installer)

enable_testing()
# What tests/CMakeLists.txt's vigil_test_support is for these tests: doctest's main
# the temporary folders (tests/support/windows/temp_dir.cpp) and the helper
# programs' paths (tests/support/windows/helper_program.cpp). Its other
# helpers (processes, servers) are POSIX code; the Windows tests' registry keys
# are tests/host/windows/temp_mount.hpp.
add_library(vigil_test_support STATIC tests/support/doctest_main.cpp
  tests/support/temp_dir.cpp tests/support/windows/temp_dir.cpp
  tests/support/windows/helper_program.cpp tests/support/wait.cpp)
target_link_libraries(vigil_test_support PUBLIC vigil_options doctest::doctest)
target_precompile_headers(vigil_test_support REUSE_FROM vigil_pch)
add_subdirectory(tests/common)
add_subdirectory(tests/protocol)
add_subdirectory(tests/host/windows)
add_subdirectory(tests/storage/windows)
add_subdirectory(tests/scan/windows)
add_subdirectory(tests/actors/windows)
add_subdirectory(tests/net/windows)
add_subdirectory(tests/installer/windows)
