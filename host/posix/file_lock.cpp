#include "host/file_lock.hpp"

#include <algorithm>
#include <cerrno>
#include <fcntl.h>
#include <sys/file.h>
#include <thread>
#include <unistd.h>
#include <utility>

#include "common/error.hpp"

namespace vigil {

file_lock::~file_lock() {
  if (handle_ >= 0)
    ::close(static_cast<int>(handle_));
}

file_lock::file_lock(file_lock&& other) noexcept : handle_{std::exchange(other.handle_, -1)} {
}

file_lock& file_lock::operator=(file_lock&& other) noexcept {
  if (this != &other) {
    if (handle_ >= 0)
      ::close(static_cast<int>(handle_));
    handle_ = std::exchange(other.handle_, -1);
  }
  return *this;
}

caf::expected<file_lock> lock_file(const std::filesystem::path& lock_file,
                                   std::chrono::milliseconds timeout) {
  int fd = ::open(lock_file.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    return make_system_error(errno, "open " + lock_file.string());
  file_lock held{fd}; // closes the descriptor on every error below
  auto deadline = std::chrono::steady_clock::now() + timeout;
  auto pause = std::chrono::milliseconds{1};
  while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK && errno != EINTR)
      return make_system_error(errno, "flock " + lock_file.string());
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline)
      return make_error(ec::lock_failed, "another process holds " + lock_file.string()
                                           + " for more than " + std::to_string(timeout.count())
                                           + " ms");
    std::this_thread::sleep_for(
      std::min<std::chrono::steady_clock::duration>(pause, deadline - now));
    pause = std::min(pause * 2, std::chrono::milliseconds{20});
  }
  return held;
}

caf::expected<file_lock> lock_sibling(const std::filesystem::path& file,
                                      std::chrono::milliseconds timeout) {
  return lock_file(file.string() + ".lock", timeout);
}

} // namespace vigil
