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
//   (tried with GCC 12), so a program started with stderr on /dev/null (the
//   agent, by its supervisor) gets a file there instead, before main:
//   VIGIL_SANITIZER_REPORT_DIR/daemon-stderr/stderr.<pid>, which
//   scripts/test-sanitized.sh reads for UBSan's "runtime error". Without it a
//   finding showed only as "the agent exited with 1" in the supervisor's log.
// ASAN_OPTIONS and UBSAN_OPTIONS still override each option they name.

#ifndef VIGIL_SANITIZER_REPORT_DIR
#error "VIGIL_SANITIZER_REPORT_DIR names the directory of the sanitizers' reports"
#endif
#ifndef VIGIL_UBSAN_SUPPRESSIONS
#error "VIGIL_UBSAN_SUPPRESSIONS names scripts/ubsan.supp"
#endif

#include <cstdio>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace {

/// Whether standard error is closed or /dev/null.
bool stderr_discarded() {
  struct stat err {};
  if (::fstat(STDERR_FILENO, &err) != 0)
    return true;
  struct stat null {};
  return S_ISCHR(err.st_mode) && ::stat("/dev/null", &null) == 0 && err.st_rdev == null.st_rdev;
}

/// Standard error onto a file of the reports' directory when it would be
/// lost (above); the file is left empty by a program without findings.
__attribute__((constructor)) void keep_discarded_stderr() {
  if (!stderr_discarded())
    return;
  const char* dir = VIGIL_SANITIZER_REPORT_DIR "/daemon-stderr";
  ::mkdir(VIGIL_SANITIZER_REPORT_DIR, 0700);
  ::mkdir(dir, 0700);
  char file[4096];
  std::snprintf(file, sizeof file, "%s/stderr.%d", dir, static_cast<int>(::getpid()));
  int fd = ::open(file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0)
    return;
  if (fd == STDERR_FILENO)
    ::fcntl(fd, F_SETFD, 0); // it was closed: the new one must outlive exec
  else {
    ::dup2(fd, STDERR_FILENO);
    ::close(fd);
  }
}

} // namespace

extern "C" {

__attribute__((visibility("default"), used)) const char* __asan_default_options() {
  return "log_path=" VIGIL_SANITIZER_REPORT_DIR "/asan"
         ":abort_on_error=1:detect_leaks=1:detect_stack_use_after_return=1";
}

__attribute__((visibility("default"), used)) const char* __ubsan_default_options() {
  // The suppressions of findings in Debian's library headers, for daemons
  // too (they do not get UBSAN_OPTIONS); only where the file is there to
  // read: UBSan dies at start on a suppressions file it cannot read, and a
  // chrooted program (the .rpm tests' agent) does not see the source tree.
  if (::access(VIGIL_UBSAN_SUPPRESSIONS, R_OK) == 0)
    return "halt_on_error=1:print_stacktrace=1:suppressions=" VIGIL_UBSAN_SUPPRESSIONS;
  return "halt_on_error=1:print_stacktrace=1";
}

} // extern "C"
