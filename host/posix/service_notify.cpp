#include "host/service_notify.hpp"

#include <cerrno>
#include <charconv>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <string>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace vigil {

namespace {

/// The environment variable `name` as a positive integer, or nullopt.
template <class Integer>
std::optional<Integer> positive_from_environment(const char* name) {
  const char* text = std::getenv(name);
  if (text == nullptr)
    return std::nullopt;
  Integer value{};
  auto end = text + std::strlen(text);
  auto [stop, error] = std::from_chars(text, end, value);
  if (error != std::errc{} || stop != end || value <= 0)
    return std::nullopt;
  return value;
}

} // namespace

bool notify_service_manager(std::string_view state) {
  const char* socket_name = std::getenv("NOTIFY_SOCKET");
  if (socket_name == nullptr)
    return false;
  std::string_view name{socket_name};
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  // A path, or '@' for a name in the abstract namespace (a leading NUL byte).
  if (name.empty() || (name[0] != '/' && name[0] != '@')
      || name.size() > sizeof(address.sun_path))
    return false;
  std::memcpy(address.sun_path, name.data(), name.size());
  if (name[0] == '@')
    address.sun_path[0] = '\0';
  auto length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size());
  int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return false;
  ssize_t sent;
  do
    sent = ::sendto(fd, state.data(), state.size(), MSG_NOSIGNAL,
                    reinterpret_cast<const sockaddr*>(&address), length);
  while (sent < 0 && errno == EINTR);
  ::close(fd);
  return sent == static_cast<ssize_t>(state.size());
}

std::optional<std::chrono::microseconds> service_watchdog_interval(pid_t self) {
  auto usec = positive_from_environment<long long>("WATCHDOG_USEC");
  if (!usec)
    return std::nullopt;
  if (std::getenv("WATCHDOG_PID") != nullptr) {
    auto pid = positive_from_environment<pid_t>("WATCHDOG_PID");
    if (!pid || *pid != self)
      return std::nullopt;
  }
  return std::chrono::microseconds{*usec};
}

} // namespace vigil
