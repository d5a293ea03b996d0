#include "host/hive_file.hpp"

#include <cerrno>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

#include "common/error.hpp"
#include "host/reg_format.hpp"

namespace fs = std::filesystem;

namespace vigil {

namespace {

/// An open file descriptor, closed on destruction.
class unique_fd {
public:
  explicit unique_fd(int fd = -1) noexcept : fd_{fd} {}
  ~unique_fd() {
    if (fd_ >= 0)
      ::close(fd_);
  }
  unique_fd(const unique_fd&) = delete;
  unique_fd& operator=(const unique_fd&) = delete;
  int get() const noexcept { return fd_; }
  int release() noexcept { return std::exchange(fd_, -1); }

private:
  int fd_;
};

caf::expected<void> write_all(int fd, std::string_view bytes, const fs::path& file) {
  while (!bytes.empty()) {
    auto n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return make_system_error(errno, "write " + file.string());
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return {};
}

/// Takes an exclusive flock on `<file>.lock`; the lock lasts as long as the
/// returned descriptor stays open.
caf::expected<int> lock_exclusive(const fs::path& file, std::chrono::milliseconds timeout) {
  auto lock_path = file.string() + ".lock";
  unique_fd fd{::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600)};
  if (fd.get() < 0)
    return make_system_error(errno, "open " + lock_path);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  auto pause = std::chrono::milliseconds{1};
  while (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK && errno != EINTR)
      return make_system_error(errno, "flock " + lock_path);
    if (std::chrono::steady_clock::now() >= deadline)
      return make_error(ec::lock_failed, "another process holds " + lock_path + " for more than "
                                           + std::to_string(timeout.count()) + " ms");
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds{20});
  }
  return fd.release();
}

} // namespace

caf::expected<std::string> read_whole_file(const fs::path& file) {
  unique_fd fd{::open(file.c_str(), O_RDONLY | O_CLOEXEC)};
  if (fd.get() < 0)
    return make_system_error(errno, "open " + file.string());
  std::string bytes;
  char buf[65536];
  for (;;) {
    auto n = ::read(fd.get(), buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return make_system_error(errno, "read " + file.string());
    }
    if (n == 0)
      break;
    bytes.append(buf, static_cast<size_t>(n));
  }
  return bytes;
}

caf::expected<void> write_file_atomically(const fs::path& file, std::string_view bytes,
                                          unsigned mode) {
  // A plain file name ("out.reg") lives in the working directory.
  auto dir = file.has_parent_path() ? file.parent_path() : fs::path{"."};
  std::error_code err;
  fs::create_directories(dir, err);
  if (err)
    return make_system_error(err.value(), "create directory " + dir.string());
  auto temp = file.string() + ".tmp." + std::to_string(::getpid());
  {
    unique_fd fd{::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)};
    if (fd.get() < 0)
      return make_system_error(errno, "create " + temp);
    auto written = write_all(fd.get(), bytes, temp);
    if (!written || ::fsync(fd.get()) != 0) {
      auto error = written ? make_system_error(errno, "fsync " + temp) : written.error();
      ::unlink(temp.c_str());
      return error;
    }
  }
  if (::rename(temp.c_str(), file.c_str()) != 0) {
    auto error = make_system_error(errno, "rename " + temp + " to " + file.string());
    ::unlink(temp.c_str());
    return error;
  }
  unique_fd dir_fd{::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (dir_fd.get() < 0 || ::fsync(dir_fd.get()) != 0)
    return make_system_error(errno, "fsync directory " + dir.string());
  return {};
}

hive_file::hive_file(fs::path file, std::chrono::milliseconds lock_timeout)
  : file_{std::move(file)}, lock_timeout_{lock_timeout} {
}

caf::expected<hive> hive_file::load() const {
  auto bytes = read_whole_file(file_);
  if (!bytes) {
    if (code_of(bytes.error()) == ec::not_found)
      return hive{};
    return bytes.error();
  }
  return parse_hive(*bytes, file_.string());
}

caf::expected<hive> hive_file::update(const change& fn) {
  auto dir = file_.has_parent_path() ? file_.parent_path() : fs::path{"."};
  std::error_code err;
  fs::create_directories(dir, err);
  if (err)
    return make_system_error(err.value(), "create directory " + dir.string());
  auto lock_fd = lock_exclusive(file_, lock_timeout_);
  if (!lock_fd)
    return lock_fd.error();
  unique_fd lock{*lock_fd};
  auto current = load();
  if (!current)
    return current.error();
  auto before = render_hive(*current);
  if (auto changed = fn(*current); !changed)
    return changed.error();
  auto after = render_hive(*current);
  if (after != before) {
    if (auto written = write_file_atomically(file_, after); !written)
      return written.error();
  }
  return current;
}

} // namespace vigil
