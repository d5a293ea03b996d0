#include "host/file_append.hpp"

#include <cerrno>
#include <fcntl.h>
#include <unistd.h>

#include "common/error.hpp"

namespace vigil {

caf::expected<void> append_durably(const std::filesystem::path& file, std::string_view bytes) {
  int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0)
    return make_system_error(errno, "open " + file.string());
  size_t done = 0;
  while (done < bytes.size()) {
    auto n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      auto err = errno;
      ::close(fd);
      return make_system_error(err, "write " + file.string());
    }
    done += static_cast<size_t>(n);
  }
  if (::fdatasync(fd) != 0) {
    auto err = errno;
    ::close(fd);
    return make_system_error(err, "sync " + file.string());
  }
  ::close(fd);
  return {};
}

} // namespace vigil
