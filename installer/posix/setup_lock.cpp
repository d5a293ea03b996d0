#include "installer/setup_lock.hpp"

#include <cerrno>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include "common/error.hpp"

namespace vigil {

struct setup_lock::held {
  int fd;
  ~held() { ::close(fd); }
};

caf::expected<setup_lock> setup_lock::take(const std::filesystem::path& root, caller) {
  int fd = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return make_system_error(errno, "open " + root.string());
  auto lock = std::make_unique<held>(fd);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    auto err = errno;
    if (err == EWOULDBLOCK)
      return make_error(ec::busy, "another installation is in progress on " + root.string());
    return make_system_error(err, "flock " + root.string());
  }
  return setup_lock{std::move(lock)};
}

setup_lock::setup_lock(std::unique_ptr<held> h) noexcept : held_{std::move(h)} {
}

setup_lock::setup_lock(setup_lock&& other) noexcept = default;

setup_lock::~setup_lock() = default;

} // namespace vigil
