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
# Not in portable builds (cmake/portable.cmake): RHEL 9's glibc is 2.34.
include(CheckLinkerFlag)
check_linker_flag(CXX "-Wl,-z,pack-relative-relocs" VIGIL_HAVE_PACKED_RELOCS)
if(VIGIL_HAVE_PACKED_RELOCS AND NOT VIGIL_PORTABLE)
  target_link_options(vigil_options INTERFACE "-Wl,-z,pack-relative-relocs")
endif()
if(VIGIL_PORTABLE)
  # GCC 12's C++ runtime inside each program: RHEL 9's libstdc++ is GCC 11's.
  # libgcc stays the shared libgcc_s.so.1 every system has: GCC 12's static
  # unwinder (libgcc_eh.a) calls _dl_find_object, glibc 2.35's.
  target_link_options(vigil_options INTERFACE -static-libstdc++)
  add_library(vigil_portable_arc4random OBJECT ${CMAKE_CURRENT_LIST_DIR}/../common/portable_arc4random.cpp)
endif()
if(VIGIL_SANITIZE)
  target_compile_options(vigil_options INTERFACE -fsanitize=address,undefined -fno-omit-frame-pointer)
  target_link_options(vigil_options INTERFACE -fsanitize=address,undefined)
  # Every program's and test binary's sanitizer defaults: ASan's reports as
  # files in build-asan/sanitizer-reports, also from daemons whose stderr is
  # /dev/null (their stderr, where UBSan reports, as files there too), and
  # scripts/ubsan.supp (common/sanitizer_defaults.cpp). Compiled once, linked into each
  # (vigil_add_executable, vigil_add_test).
  add_library(vigil_sanitizer_defaults OBJECT ${CMAKE_CURRENT_LIST_DIR}/../common/sanitizer_defaults.cpp)
  target_compile_definitions(vigil_sanitizer_defaults PRIVATE
    VIGIL_SANITIZER_REPORT_DIR="${PROJECT_BINARY_DIR}/sanitizer-reports"
    VIGIL_UBSAN_SUPPRESSIONS="${PROJECT_SOURCE_DIR}/scripts/ubsan.supp")
endif()

# vigil_link_build_objects(TARGET): the objects a kind of build puts into
# every program and test binary itself (not from an archive, which the linker
# would consult too early): the sanitizer defaults in sanitized builds, glibc
# 2.36's arc4random in portable ones (common/portable_arc4random.cpp).
function(vigil_link_build_objects name)
  foreach(objects vigil_sanitizer_defaults vigil_portable_arc4random)
    if(TARGET ${objects})
      target_sources(${name} PRIVATE $<TARGET_OBJECTS:${objects}>)
    endif()
  endforeach()
endfunction()
if(VIGIL_SANITIZE_THREAD)
  target_compile_options(vigil_options INTERFACE -fsanitize=thread -fno-omit-frame-pointer)
  target_link_options(vigil_options INTERFACE -fsanitize=thread)
endif()
# How many times slower the programs run under the sanitizers (issue 15): a
# factor chosen from the cases that ran out of time under ASan (the whole
# suite has not yet run under it in one go), not a measured ratio. The
# tests' deadlines (tests/support/wait.hpp) and ctest's timeouts
# (vigil_add_test) are multiplied by it.
set(VIGIL_TEST_TIME_SCALE 1)
if(VIGIL_SANITIZE)
  set(VIGIL_TEST_TIME_SCALE 3)
elseif(VIGIL_SANITIZE_THREAD)
  set(VIGIL_TEST_TIME_SCALE 5)
endif()
if(VIGIL_CAF_PREFIX)
  # Ahead of /usr/include, where Debian's CAF headers are.
  target_include_directories(vigil_options SYSTEM BEFORE INTERFACE ${VIGIL_CAF_PREFIX}/include)
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
  vigil_link_build_objects(${name})
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bin)
endfunction()

# vigil_add_test(NAME SOURCES... [INTEGRATION SOURCES-OR-CASES...]
#                [SLOW CASES...]): one doctest binary, and each of its test
# cases one ctest entry named as the case (doctest's doctest_discover_tests,
# listing with cmake/doctest_add_tests.cmake), so `ctest -R NAME` reruns one
# case and `ctest -j2` spreads a binary's cases over both cores. Labels:
#   unit         the other cases: pure logic and virtual-time actor tests, no
#                real processes or network waits (`ctest -L unit` runs them
#                alone, in well under a minute);
#   integration  the cases of the INTEGRATION sources (*.cpp) and the cases
#                INTEGRATION names: real binaries, servers, processes;
#   slow         with integration, the cases SLOW names, over ~20 s. They
#                start first when ctest has no timings of its own yet.
# Cases are named by doctest patterns: '*' for any text (also for a ',' or
# ';' in a name).
include(doctest)
set(_DOCTEST_DISCOVER_TESTS_SCRIPT ${CMAKE_CURRENT_LIST_DIR}/doctest_add_tests.cmake)

function(vigil_add_test name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "" "INTEGRATION;SLOW")
  math(EXPR integration_timeout "600 * ${VIGIL_TEST_TIME_SCALE}")
  math(EXPR unit_timeout "120 * ${VIGIL_TEST_TIME_SCALE}")
  set(sources ${arg_UNPARSED_ARGUMENTS})
  set(files "")
  set(cases "")
  foreach(item IN LISTS arg_INTEGRATION)
    if(item MATCHES "\\.cpp$")
      list(APPEND sources ${item})
      # __FILE__ may be relative to the source tree (ccache's base directory).
      file(RELATIVE_PATH path ${PROJECT_SOURCE_DIR} ${CMAKE_CURRENT_SOURCE_DIR}/${item})
      list(APPEND files "*${path}")
    else()
      list(APPEND cases "${item}")
    endif()
  endforeach()
  add_executable(${name} ${sources})
  vigil_link_build_objects(${name})
  # A binary with sources of its own (not INTEGRATION ones) holds unit cases:
  # the target vigil-unit-tests (tests/CMakeLists.txt) builds those alone.
  if(arg_UNPARSED_ARGUMENTS)
    set_property(GLOBAL APPEND PROPERTY VIGIL_UNIT_TEST_TARGETS ${name})
  endif()
  target_link_libraries(${name} PRIVATE vigil_options vigil_test_support doctest::doctest)
  target_precompile_headers(${name} REUSE_FROM vigil_pch)
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/tests)

  # One listing per kind of entry, with doctest's filters; every case lands
  # in exactly one. doctest reads one of each filter option, so patterns are
  # joined with ','.
  list(JOIN files "," files)
  list(JOIN arg_SLOW "," slow)
  set(not_slow "")
  if(slow)
    set(not_slow "--test-case-exclude=${slow}")
  endif()
  set(unit_spec "")
  set(unit_exclude ${cases} ${arg_SLOW})
  list(JOIN unit_exclude "," unit_exclude)
  if(unit_exclude)
    list(APPEND unit_spec "--test-case-exclude=${unit_exclude}")
  endif()
  if(files)
    list(APPEND unit_spec "--source-file-exclude=${files}")
    vigil_discover_tests(${name} LABELS integration SPEC "--source-file=${files}" ${not_slow}
      PROPERTIES TIMEOUT ${integration_timeout} COST 10)
  endif()
  if(cases)
    list(JOIN cases "," cases)
    set(spec "--test-case=${cases}" ${not_slow})
    if(files)
      list(APPEND spec "--source-file-exclude=${files}")
    endif()
    vigil_discover_tests(${name} LABELS integration SPEC ${spec} PROPERTIES TIMEOUT ${integration_timeout} COST 10)
  endif()
  if(slow)
    vigil_discover_tests(${name} LABELS integration slow SPEC "--test-case=${slow}"
      PROPERTIES TIMEOUT ${integration_timeout} COST 100)
  endif()
  vigil_discover_tests(${name} LABELS unit SPEC ${unit_spec} PROPERTIES TIMEOUT ${unit_timeout})
endfunction()

# vigil_discover_tests(NAME LABELS... SPEC... PROPERTIES...): one
# doctest_discover_tests listing of vigil_add_test. Lists travel to the
# listing script with ';' as "<;>": a custom command's arguments do not keep
# a ';'.
function(vigil_discover_tests name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "" "LABELS;SPEC;PROPERTIES")
  foreach(list labels spec properties)
    string(TOUPPER ${list} upper)
    string(REPLACE ";" "<;>" ${list} "${arg_${upper}}")
  endforeach()
  doctest_discover_tests(${name} TEST_SPEC "${spec}" ADD_LABELS "${labels}"
    PROPERTIES "${properties}")
endfunction()

# vigil_test_programs(TEST TARGETS...): the programs and packages the
# integration cases of the test binary TEST run, built before it. Not with
# -DVIGIL_UNIT_TESTS_ONLY=ON (scripts/test-sanitized.sh): the unit cases run
# none, and under ASan the programs, payload and packages took a third of a
# cold sanitized build.
option(VIGIL_UNIT_TESTS_ONLY "build test binaries without the programs their integration cases run" OFF)
function(vigil_test_programs name)
  if(NOT VIGIL_UNIT_TESTS_ONLY)
    add_dependencies(${name} ${ARGN})
  endif()
endfunction()
