# Shared build settings. Every Vigil target links `vigil_options`, so all of them
# compile with identical flags and definitions and can reuse one precompiled header.

configure_file(${PROJECT_SOURCE_DIR}/cmake/vigil_version.hpp.in
               ${PROJECT_BINARY_DIR}/generated/vigil_version.hpp)

add_library(vigil_options INTERFACE)
target_include_directories(vigil_options INTERFACE ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR}/generated)
target_compile_options(vigil_options INTERFACE -Wall -Wextra -Wno-unused-parameter)
target_link_libraries(vigil_options INTERFACE ${CAF_CORE_LIBRARY} spdlog::spdlog nlohmann_json::nlohmann_json Threads::Threads)
# Asio and Beast are compiled once, in net/ (separate compilation keeps every other
# translation unit free of their implementation).
target_compile_definitions(vigil_options INTERFACE
  BOOST_ASIO_SEPARATE_COMPILATION BOOST_BEAST_SEPARATE_COMPILATION BOOST_ASIO_NO_DEPRECATED)
# Built for size (on by default): the agent's scarce resource on a host is
# memory, and the code it has run stays resident (the kernel maps 64 KB around
# each page it faults in), so smaller code is a smaller idle RSS. -Os, and
# functions nobody calls dropped at link time, take the agent from 22.1 to
# 19.6 MB idle (bench/footprint.sh); the delta bench does not move (RocksDB's
# prebuilt code dominates it) and the reference platform answers ~10 % fewer
# check-ins per second (bench/platform_checkins.sh: 47k/s, budget 2k/s).
option(VIGIL_OPTIMIZE_FOR_SIZE "Compile with -Os and drop unused functions at link time" ON)
if(VIGIL_OPTIMIZE_FOR_SIZE)
  target_compile_options(vigil_options INTERFACE
    "$<$<NOT:$<CONFIG:Debug>>:-Os;-ffunction-sections;-fdata-sections>")
  target_link_options(vigil_options INTERFACE "$<$<NOT:$<CONFIG:Debug>>:-Wl,--gc-sections>")
endif()

# Relative relocations packed (DT_RELR, glibc 2.36): the loader reads a few KB of
# bitmaps instead of ~400 KB of .rela.dyn entries, pages that would otherwise
# stay resident in every process for its whole life.
include(CheckLinkerFlag)
check_linker_flag(CXX "-Wl,-z,pack-relative-relocs" VIGIL_HAVE_PACKED_RELOCS)
if(VIGIL_HAVE_PACKED_RELOCS)
  target_link_options(vigil_options INTERFACE "-Wl,-z,pack-relative-relocs")
endif()
if(VIGIL_SANITIZE)
  target_compile_options(vigil_options INTERFACE -fsanitize=address,undefined -fno-omit-frame-pointer)
  target_link_options(vigil_options INTERFACE -fsanitize=address,undefined)
endif()

# The precompiled header every target reuses: CAF's error types and spdlog are
# included almost everywhere and dominate compile time.
add_library(vigil_pch STATIC ${PROJECT_SOURCE_DIR}/cmake/pch.cpp)
target_link_libraries(vigil_pch PUBLIC vigil_options)
target_precompile_headers(vigil_pch PRIVATE
  <string> <string_view> <vector> <map> <optional> <variant> <memory> <functional>
  <filesystem> <chrono> <mutex>
  <caf/error.hpp> <caf/expected.hpp> <caf/make_message.hpp>
  <spdlog/spdlog.h>)

# vigil_add_library(NAME SOURCES...): a folder's library target.
function(vigil_add_library name)
  add_library(${name} STATIC ${ARGN})
  target_link_libraries(${name} PUBLIC vigil_options)
  target_precompile_headers(${name} REUSE_FROM vigil_pch)
endfunction()

# vigil_add_executable(NAME SOURCES...): a program installed to bin/.
function(vigil_add_executable name)
  add_executable(${name} ${ARGN})
  target_link_libraries(${name} PRIVATE vigil_options)
  target_precompile_headers(${name} REUSE_FROM vigil_pch)
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bin)
endfunction()

# vigil_add_test(NAME SOURCES...): one doctest binary, one ctest entry.
function(vigil_add_test name)
  add_executable(${name} ${ARGN})
  target_link_libraries(${name} PRIVATE vigil_options vigil_test_support doctest::doctest)
  target_precompile_headers(${name} REUSE_FROM vigil_pch)
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/tests)
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES TIMEOUT 600)
endfunction()
