#include "host/password_input.hpp"

#include <cerrno>
#include <csignal>
#include <termios.h>
#include <unistd.h>

#include "common/error.hpp"

namespace vigil {

namespace {

/// The terminal settings to put back if a signal ends the process while the
/// echo is off (a shell would otherwise be left typing blind).
int restore_fd = -1;
termios restore_settings{};

void restore_and_reraise(int sig) {
  if (restore_fd >= 0)
    ::tcsetattr(restore_fd, TCSAFLUSH, &restore_settings);
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

/// The echo of the terminal `fd` off for one scope, and signal handlers that
/// turn it back on before SIGINT, SIGTERM, SIGHUP or SIGQUIT end the process.
class echo_off {
public:
  explicit echo_off(int fd) {
    if (::tcgetattr(fd, &saved_) != 0)
      return;
    auto quiet = saved_;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO | ECHOE | ECHOK);
    quiet.c_lflag |= ECHONL; // the Enter key still moves to the next line
    restore_fd = fd;
    restore_settings = saved_;
    struct sigaction action {};
    action.sa_handler = restore_and_reraise;
    sigemptyset(&action.sa_mask);
    for (size_t i = 0; i < std::size(signals_); ++i)
      ::sigaction(signals_[i], &action, &old_[i]);
    if (::tcsetattr(fd, TCSAFLUSH, &quiet) == 0)
      fd_ = fd;
  }
  ~echo_off() {
    if (fd_ >= 0)
      ::tcsetattr(fd_, TCSAFLUSH, &saved_);
    if (restore_fd >= 0) {
      for (size_t i = 0; i < std::size(signals_); ++i)
        ::sigaction(signals_[i], &old_[i], nullptr);
      restore_fd = -1;
    }
  }
  echo_off(const echo_off&) = delete;
  echo_off& operator=(const echo_off&) = delete;

private:
  static constexpr int signals_[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
  int fd_ = -1;
  termios saved_{};
  struct sigaction old_[std::size(signals_)] {};
};

} // namespace

long read_byte(int fd, char& c) {
  for (;;) {
    auto n = ::read(fd, &c, 1);
    if (n >= 0 || errno != EINTR)
      return static_cast<long>(n);
  }
}

caf::expected<std::string> read_line_quietly(int fd, std::string_view prompt) {
  if (!::isatty(fd))
    return read_line(fd);
  std::string text{prompt};
  [[maybe_unused]] auto n = ::write(STDERR_FILENO, text.data(), text.size());
  echo_off quiet{fd};
  return read_line(fd);
}

} // namespace vigil
