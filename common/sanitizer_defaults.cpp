// Compiled only into sanitized builds (-DVIGIL_SANITIZE=ON: cmake/vigil.cmake
// adds it to every program and test binary): the sanitizers' default options,
// built into the programs rather than given by ASAN_OPTIONS alone, because
// the programs that matter most keep neither the environment nor a terminal.
// The agent and its supervisor are started with a fixed environment
// (host/process: start_detached) and daemonize with stderr on /dev/null, so
// a report there was lost, and a finding looked like a crash at best.
//
// - ASan (and LeakSanitizer with it) writes each report to
//   VIGIL_SANITIZER_REPORT_DIR/asan.<pid>, which scripts/test-sanitized.sh
//   prints and fails on, and aborts the program.
// - UBSan halts the program at its first finding. GCC's UBSan runtime
//   (separate from ASan's) keeps its report on stderr whatever log_path says
//   (tried with GCC 12): in a daemon the finding shows as the program's exit
//   (status 1) in the supervisor's log.
// ASAN_OPTIONS and UBSAN_OPTIONS still override each option they name.

#ifndef VIGIL_SANITIZER_REPORT_DIR
#error "VIGIL_SANITIZER_REPORT_DIR names the directory of the sanitizers' reports"
#endif

extern "C" {

__attribute__((visibility("default"), used)) const char* __asan_default_options() {
  return "log_path=" VIGIL_SANITIZER_REPORT_DIR "/asan"
         ":abort_on_error=1:detect_leaks=1:detect_stack_use_after_return=1";
}

__attribute__((visibility("default"), used)) const char* __ubsan_default_options() {
  return "halt_on_error=1:print_stacktrace=1";
}

} // extern "C"
