// The password's line on Windows (host/password_input.hpp): at a console, its
// echo off while the line is typed; from a pipe or a file, the C runtime's
// descriptor read a byte at a time.
#include "host/password_input.hpp"

#include <windows.h>

#include <io.h>

#include "common/error.hpp"

namespace vigil {

namespace {

/// The console's echo off for one scope, when `fd` is a console.
class echo_off {
public:
  explicit echo_off(int fd) : console_{reinterpret_cast<HANDLE>(::_get_osfhandle(fd))} {
    if (console_ == INVALID_HANDLE_VALUE || !::GetConsoleMode(console_, &saved_)) {
      console_ = INVALID_HANDLE_VALUE;
      return;
    }
    ::SetConsoleMode(console_, saved_ & ~static_cast<DWORD>(ENABLE_ECHO_INPUT));
  }
  ~echo_off() {
    if (console_ != INVALID_HANDLE_VALUE)
      ::SetConsoleMode(console_, saved_);
  }
  echo_off(const echo_off&) = delete;
  echo_off& operator=(const echo_off&) = delete;

private:
  HANDLE console_;
  DWORD saved_ = 0;
};

} // namespace

long read_byte(int fd, char& c) {
  return ::_read(fd, &c, 1);
}

caf::expected<std::string> read_line_quietly(int fd, std::string_view prompt) {
  if (!::_isatty(fd))
    return read_line(fd);
  std::string text{prompt};
  ::_write(2, text.data(), static_cast<unsigned>(text.size()));
  echo_off quiet{fd};
  auto line = read_line(fd);
  ::_write(2, "\r\n", 2); // the Enter key's line break, not echoed
  return line;
}

} // namespace vigil
