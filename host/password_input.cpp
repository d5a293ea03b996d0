#include "host/password_input.hpp"

#include <cerrno>

#include "common/error.hpp"
#include "common/redact.hpp"
#include "common/text.hpp"

namespace vigil {

bool asks_password_on_stdin(const proxy_option& option) noexcept {
  return option.password && *option.password == password_on_stdin;
}

caf::expected<std::string> read_secret_line(int fd, std::string_view prompt) {
  auto line = read_line_quietly(fd, prompt);
  if (!line)
    return line;
  // Registered before anything can quote it.
  register_secret(*line);
  if (line->empty())
    return invalid_argument_error("no password on standard input (/p - reads one line)");
  for (char c : *line)
    if (is_control(c))
      return invalid_argument_error("the password on standard input contains a control "
                                    "character");
  return line;
}

caf::expected<void> read_proxy_password(proxy_option& option, int fd) {
  if (!asks_password_on_stdin(option))
    return {};
  auto line = read_secret_line(fd, "Proxy password: ");
  if (!line)
    return line.error();
  option.password = std::move(*line);
  return {};
}

caf::expected<std::string> read_line(int fd) {
  constexpr size_t max_secret = 64 * 1024;
  std::string line;
  for (;;) {
    char c;
    auto n = read_byte(fd, c);
    if (n < 0)
      return make_system_error(errno, "read the password from standard input");
    if (n == 0 || c == '\n')
      break;
    if (line.size() >= max_secret)
      return invalid_argument_error("the password on standard input is longer than 64 KiB");
    line += c;
  }
  if (!line.empty() && line.back() == '\r')
    line.pop_back();
  return line;
}

} // namespace vigil
