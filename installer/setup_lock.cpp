#include "installer/setup_lock.hpp"

#include <cerrno>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>
#include <utility>

#include "common/error.hpp"

namespace vigil {

caf::expected<setup_lock> setup_lock::take(const std::filesystem::path& root) {
  int fd = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return make_system_error(errno, "open " + root.string());
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    auto err = errno;
    ::close(fd);
    if (err == EWOULDBLOCK)
      return make_error(ec::busy, "another installation is in progress on " + root.string());
    return make_system_error(err, "flock " + root.string());
  }
  return setup_lock{fd};
}

setup_lock::setup_lock(setup_lock&& other) noexcept : fd_{std::exchange(other.fd_, -1)} {
}

setup_lock::~setup_lock() {
  if (fd_ >= 0)
    ::close(fd_);
}

} // namespace vigil
