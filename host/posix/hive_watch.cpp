#include "host/hive_watch.hpp"

#include <cerrno>
#include <climits>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "common/error.hpp"
#include "host/hive_file.hpp"

namespace fs = std::filesystem;

namespace vigil {

caf::expected<hive_watch> hive_watch::open(fs::path hive_file_path) {
  std::error_code err;
  fs::create_directories(hive_file_path.parent_path(), err);
  if (err)
    return make_system_error(err.value(), "create directory " + hive_file_path.parent_path().string());
  int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0)
    return make_system_error(errno, "inotify_init1");
  auto dir = hive_file_path.parent_path();
  if (::inotify_add_watch(fd, dir.c_str(), IN_CLOSE_WRITE | IN_MOVED_TO | IN_DELETE | IN_MOVED_FROM)
      < 0) {
    auto error = make_system_error(errno, "inotify_add_watch " + dir.string());
    ::close(fd);
    return error;
  }
  int wake = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake < 0) {
    auto error = make_system_error(errno, "eventfd");
    ::close(fd);
    return error;
  }
  auto initial = hive_file{hive_file_path}.load();
  if (!initial) {
    ::close(fd);
    ::close(wake);
    return initial.error();
  }
  return hive_watch{fd, wake, std::move(hive_file_path), std::move(*initial)};
}

hive_watch::hive_watch(int fd, int wake_fd, fs::path file, vigil::hive initial)
  : fd_{fd}, wake_fd_{wake_fd}, file_{std::move(file)}, current_{std::move(initial)} {
}

hive_watch::hive_watch(hive_watch&& other) noexcept
  : fd_{std::exchange(other.fd_, -1)},
    wake_fd_{std::exchange(other.wake_fd_, -1)},
    file_{std::move(other.file_)},
    current_{std::move(other.current_)} {
}

hive_watch& hive_watch::operator=(hive_watch&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0)
      ::close(fd_);
    if (wake_fd_ >= 0)
      ::close(wake_fd_);
    fd_ = std::exchange(other.fd_, -1);
    wake_fd_ = std::exchange(other.wake_fd_, -1);
    file_ = std::move(other.file_);
    current_ = std::move(other.current_);
  }
  return *this;
}

hive_watch::~hive_watch() {
  if (fd_ >= 0)
    ::close(fd_);
  if (wake_fd_ >= 0)
    ::close(wake_fd_);
}

void hive_watch::interrupt() noexcept {
  uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof one);
}

bool hive_watch::interrupted() const noexcept {
  // The counter is never read down: once written, it stays readable.
  pollfd pfd{wake_fd_, POLLIN, 0};
  return ::poll(&pfd, 1, 0) > 0 && (pfd.revents & POLLIN) != 0;
}

caf::expected<std::vector<hive_change>> hive_watch::poll(std::chrono::milliseconds timeout) {
  pollfd pfds[2] = {{fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
  int ready = ::poll(pfds, 2, timeout.count() < 0 ? -1 : static_cast<int>(timeout.count()));
  if (ready < 0 && errno != EINTR)
    return make_system_error(errno, "poll inotify");
  bool touched = false;
  alignas(inotify_event) char buf[16 * (sizeof(inotify_event) + NAME_MAX + 1)];
  auto name = file_.filename().string();
  for (;;) {
    auto n = ::read(fd_, buf, sizeof(buf));
    if (n <= 0)
      break; // EAGAIN: drained
    for (char* p = buf; p < buf + n;) {
      auto* event = reinterpret_cast<inotify_event*>(p);
      if (event->len > 0 && name == event->name)
        touched = true;
      if (event->mask & IN_Q_OVERFLOW)
        touched = true;
      p += sizeof(inotify_event) + event->len;
    }
  }
  if (!touched)
    return std::vector<hive_change>{};
  auto now = hive_file{file_}.load();
  if (!now)
    return now.error();
  auto changes = diff(current_, *now);
  current_ = std::move(*now);
  return changes;
}

} // namespace vigil
