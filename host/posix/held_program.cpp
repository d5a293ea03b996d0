#include "host/held_program.hpp"

#include <cerrno>
#include <fcntl.h>
#include <unistd.h>
#include <utility>

#include "common/error.hpp"
#include "common/sha256.hpp"
#include "host/systemd_service.hpp"

namespace vigil {

held_program::held_program(std::intptr_t handle, std::filesystem::path path) noexcept
  : handle_{handle}, path_{std::move(path)} {
}

held_program::held_program(held_program&& other) noexcept
  : handle_{std::exchange(other.handle_, -1)}, path_{std::move(other.path_)} {
}

held_program& held_program::operator=(held_program&& other) noexcept {
  if (this != &other) {
    if (handle_ != -1)
      ::close(static_cast<int>(handle_));
    handle_ = std::exchange(other.handle_, -1);
    path_ = std::move(other.path_);
  }
  return *this;
}

held_program::~held_program() {
  if (handle_ != -1)
    ::close(static_cast<int>(handle_));
}

caf::expected<held_program> held_program::open(const std::filesystem::path& file) {
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return make_system_error(errno, "open " + file.string());
  return held_program{fd, file};
}

caf::expected<std::string> held_program::sha256() const {
  sha256_hasher hasher;
  char buffer[64 * 1024];
  off_t offset = 0;
  for (;;) {
    auto n = ::pread(static_cast<int>(handle_), buffer, sizeof buffer, offset);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return make_system_error(errno, "read " + path_.string());
    }
    if (n == 0)
      break;
    hasher.update(std::string_view{buffer, static_cast<size_t>(n)});
    offset += n;
  }
  return hasher.finish_hex();
}

caf::expected<void> held_program::hand_over(const std::vector<std::string>& argv) const {
  return start_handover(static_cast<int>(handle_), argv);
}

} // namespace vigil
