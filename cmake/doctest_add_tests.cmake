# Vigil's test-listing script for doctest_discover_tests (Debian's doctest-dev,
# /usr/lib/cmake/doctest/doctest.cmake). The function is doctest's: it runs
# this script after each build of a test binary, and ctest includes the file
# it writes. This script replaces the module's doctestAddTests.cmake, which
# splits case names at ';' and '[' (CMake list syntax: 30 of our names have
# one) and lets doctest match names without case (here every filter, in the
# listings too, is case-sensitive). What the function's options mean here:
#   TEST_SPEC   doctest filter options for the listing, passed as they are
#               ("--source-file=*/agent_binary_test.cpp").
#   ADD_LABELS  the labels of every case listed ("integration", "slow").
#   PROPERTIES  more test properties for every case listed (TIMEOUT, COST).
#   EXTRA_ARGS  more arguments on every case's command line.
# Each case becomes one ctest entry named as the case, running
# `BINARY --test-case=NAME --case-sensitive=true` (',' and '\' escaped, as
# doctest's filters want). Case names with '*' or '?' are refused: doctest's
# filters take them as wildcards, so one entry could run several cases.
# Arguments that are lists arrive with ';' as "<;>" (vigil_add_test replaces
# them: a custom command's arguments do not keep a ';').

foreach(var TEST_SPEC TEST_EXTRA_ARGS TEST_PROPERTIES TEST_ADD_LABELS)
  string(REPLACE "<;>" ";" ${var} "${${var}}")
endforeach()

if(NOT EXISTS "${TEST_EXECUTABLE}")
  message(FATAL_ERROR "Specified test executable '${TEST_EXECUTABLE}' does not exist")
endif()

execute_process(
  COMMAND ${TEST_EXECUTOR} "${TEST_EXECUTABLE}" ${TEST_SPEC} --case-sensitive=true
          --list-test-cases --no-version=true
  OUTPUT_VARIABLE output
  RESULT_VARIABLE result
  WORKING_DIRECTORY "${TEST_WORKING_DIR}")
if(NOT result EQUAL 0)
  message(FATAL_ERROR "Error running test executable '${TEST_EXECUTABLE}':\n"
                      "  Result: ${result}\n  Output: ${output}\n")
endif()

# One name per line. ';', '[' and ']' mean something to CMake's lists: they
# travel as control characters until the names are written out.
string(ASCII 1 semicolon)
string(ASCII 2 open_bracket)
string(ASCII 3 close_bracket)
string(REPLACE ";" "${semicolon}" output "${output}")
string(REPLACE "[" "${open_bracket}" output "${output}")
string(REPLACE "]" "${close_bracket}" output "${output}")
string(REPLACE "\n" ";" lines "${output}")

set(script "")
foreach(line IN LISTS lines)
  if(line STREQUAL "" OR line MATCHES "^=+$" OR line MATCHES "^${open_bracket}doctest${close_bracket} ")
    continue()
  endif()
  string(REPLACE "${semicolon}" ";" name "${line}")
  string(REPLACE "${open_bracket}" "[" name "${name}")
  string(REPLACE "${close_bracket}" "]" name "${name}")
  if(name MATCHES "[*?]")
    message(FATAL_ERROR "${TEST_TARGET}: the test case \"${name}\" has '*' or '?', which "
                        "doctest's --test-case takes as a wildcard; rename it")
  endif()
  if(name MATCHES "]=====]")
    message(FATAL_ERROR "${TEST_TARGET}: the test case \"${name}\" cannot be quoted")
  endif()
  string(REPLACE "\\" "\\\\" filter "${name}")
  string(REPLACE "," "\\," filter "${filter}")
  set(test "${TEST_PREFIX}${name}${TEST_SUFFIX}")
  set(args "")
  foreach(arg IN LISTS TEST_EXTRA_ARGS)
    string(APPEND args " [=====[${arg}]=====]")
  endforeach()
  set(properties "")
  foreach(arg IN LISTS TEST_PROPERTIES)
    string(APPEND properties " [=====[${arg}]=====]")
  endforeach()
  string(APPEND script
    "add_test([=====[${test}]=====] ${TEST_EXECUTOR} [=====[${TEST_EXECUTABLE}]=====] "
    "[=====[--test-case=${filter}]=====] --case-sensitive=true${args})\n"
    "set_tests_properties([=====[${test}]=====] PROPERTIES WORKING_DIRECTORY "
    "[=====[${TEST_WORKING_DIR}]=====] LABELS [=====[${TEST_ADD_LABELS}]=====]${properties})\n")
endforeach()

list(FIND TEST_ADD_LABELS slow slow_at)
if(script STREQUAL "" AND slow_at GREATER -1)
  message(FATAL_ERROR "${TEST_TARGET}: no test case matches ${TEST_SPEC}: a SLOW pattern "
                      "in its vigil_add_test names a case that is gone")
endif()
file(WRITE "${CTEST_FILE}" "${script}")
