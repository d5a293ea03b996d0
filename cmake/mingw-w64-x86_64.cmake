# CMake toolchain file: 64-bit Windows programs cross-compiled by Debian's mingw-w64
# GCC with posix threads (g++-mingw-w64-x86-64-posix: std::thread and std::mutex
# need them). scripts/build-windows.sh uses it for the dependencies it builds and
# for Vigil (build-win/), and passes VIGIL_WINDOWS_DEPS, the prefix those
# dependencies are installed to.
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)

set(VIGIL_MINGW_TRIPLET x86_64-w64-mingw32)
set(CMAKE_C_COMPILER ${VIGIL_MINGW_TRIPLET}-gcc-posix)
set(CMAKE_CXX_COMPILER ${VIGIL_MINGW_TRIPLET}-g++-posix)
set(CMAKE_RC_COMPILER ${VIGIL_MINGW_TRIPLET}-windres)
set(CMAKE_AR ${VIGIL_MINGW_TRIPLET}-gcc-ar-posix CACHE FILEPATH "")
set(CMAKE_RANLIB ${VIGIL_MINGW_TRIPLET}-gcc-ranlib-posix CACHE FILEPATH "")

# Libraries and headers come from the mingw sysroot and the dependency prefix only,
# never from the build machine's /usr (its libraries are Linux ELF files); programs
# (code generators, ninja) from the build machine.
list(APPEND CMAKE_FIND_ROOT_PATH /usr/${VIGIL_MINGW_TRIPLET})
if(VIGIL_WINDOWS_DEPS)
  list(APPEND CMAKE_FIND_ROOT_PATH ${VIGIL_WINDOWS_DEPS})
endif()
# try_compile projects do not see the cache: pass the prefix on.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES VIGIL_WINDOWS_DEPS)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
# Static archives first: every program is one self-contained .exe.
set(CMAKE_FIND_LIBRARY_SUFFIXES .a .lib)

# Programs built here run under Wine on this machine (ctest, doctest's test
# listing): cmake/wine-run.sh gives them a private Wine prefix.
set(CMAKE_CROSSCOMPILING_EMULATOR ${CMAKE_CURRENT_LIST_DIR}/wine-run.sh)
