# ctest's fuzz_replay: runs each fuzz target over its seed corpus and fails on
# the first target that fails (a crash or a violated property).
#   cmake -DFUZZ_BIN_DIR=DIR -DCORPUS_DIR=DIR -DTARGETS=a,b -DLIBFUZZER=ON|OFF -P replay_all.cmake
string(REPLACE "," ";" targets "${TARGETS}")
foreach(name IN LISTS targets)
  set(binary ${FUZZ_BIN_DIR}/fuzz_${name})
  set(corpus ${CORPUS_DIR}/${name})
  if(NOT IS_DIRECTORY ${corpus})
    message(FATAL_ERROR "fuzz_${name}: no seed corpus at ${corpus}")
  endif()
  if(LIBFUZZER)
    # libFuzzer's own main: -runs=0 executes the corpus and stops.
    set(command ${binary} -runs=0 ${corpus})
  else()
    set(command ${binary} ${corpus})
  endif()
  execute_process(COMMAND ${command} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "fuzz_${name} failed (${rc}) on ${corpus}:\n${out}")
  endif()
  string(STRIP "${out}" out)
  string(REGEX REPLACE ".*\n" "" last_line "${out}")
  message(STATUS "fuzz_${name}: ${last_line}")
endforeach()
