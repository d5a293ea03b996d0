// Fatal faults on POSIX (host/fatal_fault.hpp): a handler for the signals that
// end a process on a fault, which writes one line with write(2) and raises
// the signal again with its default action (SA_RESETHAND), so the exit
// status (and a core dump where enabled) is what it would have been.
#include "host/fatal_fault.hpp"

#include <csignal>
#include <exception>
#include <fcntl.h>
#include <unistd.h>

namespace vigil {

namespace {

int report_fd = -1;

constexpr int fatal_signals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};

std::string_view signal_name(int sig) noexcept {
  switch (sig) {
    case SIGSEGV: return "signal SIGSEGV (invalid memory access)";
    case SIGBUS: return "signal SIGBUS (bus error)";
    case SIGFPE: return "signal SIGFPE (arithmetic fault)";
    case SIGILL: return "signal SIGILL (illegal instruction)";
    case SIGABRT: return "signal SIGABRT (aborted)";
    default: return "a fatal signal";
  }
}

void on_fatal_signal(int sig, siginfo_t* info, void*) {
  detail::fault_text what;
  what.put(signal_name(sig));
  if (sig != SIGABRT && info) {
    what.put(" at address ");
    what.put_hex(reinterpret_cast<uintptr_t>(info->si_addr));
  }
  char line[512];
  detail::write_fault_line(line, detail::format_fault_line(line, sizeof(line), what.view()));
  ::raise(sig); // the default action again (SA_RESETHAND)
}

} // namespace

void report_fatal_faults(const std::filesystem::path& log_file) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  (void)log_file;
#else
  int fd = ::open(log_file.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    return;
  if (report_fd >= 0)
    ::close(report_fd);
  report_fd = fd;
  struct sigaction action {};
  action.sa_sigaction = on_fatal_signal;
  action.sa_flags = SA_SIGINFO | SA_RESETHAND;
  sigemptyset(&action.sa_mask);
  for (int sig : fatal_signals)
    ::sigaction(sig, &action, nullptr);
  std::set_terminate(detail::terminate_with_report);
#endif
}

namespace detail {

void write_fault_line(const char* text, size_t length) noexcept {
  if (report_fd >= 0)
    [[maybe_unused]] auto written = ::write(report_fd, text, length);
}

unsigned long fault_thread_number() noexcept {
  return static_cast<unsigned long>(::gettid());
}

} // namespace detail

} // namespace vigil
