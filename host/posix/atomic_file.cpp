#include "host/atomic_file.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>

#include "common/error.hpp"

namespace fs = std::filesystem;

namespace vigil {

namespace {

/// An open file descriptor, closed on destruction.
class unique_fd {
public:
  explicit unique_fd(int fd = -1) noexcept : fd_{fd} {}
  ~unique_fd() { reset(); }
  unique_fd(const unique_fd&) = delete;
  unique_fd& operator=(const unique_fd&) = delete;
  int get() const noexcept { return fd_; }
  void reset() noexcept {
    if (fd_ >= 0)
      ::close(std::exchange(fd_, -1));
  }

private:
  int fd_;
};

caf::expected<void> write_all(int fd, std::string_view bytes, const std::string& file) {
  while (!bytes.empty()) {
    auto n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return make_system_error(errno, "write " + file);
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return {};
}

/// 16 random hex digits from the kernel's generator.
caf::expected<std::string> random_suffix() {
  unsigned char raw[8];
  size_t got = 0;
  while (got < sizeof(raw)) {
    auto n = ::getrandom(raw + got, sizeof(raw) - got, 0);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return make_system_error(errno, "getrandom");
    }
    got += static_cast<size_t>(n);
  }
  std::string hex;
  for (auto b : raw) {
    hex += "0123456789abcdef"[b >> 4];
    hex += "0123456789abcdef"[b & 15];
  }
  return hex;
}

/// Creates a fresh temporary file for `name` in the directory `dir_fd`: never
/// an existing file, never through a symbolic link. Returns its descriptor
/// and name (relative to `dir_fd`).
caf::expected<std::pair<int, std::string>> create_temporary(int dir_fd, const std::string& name,
                                                            const fs::path& dir) {
  for (int attempt = 0;; ++attempt) {
    auto suffix = random_suffix();
    if (!suffix)
      return suffix.error();
    auto temp = "." + name + "." + *suffix + ".tmp";
    int fd = ::openat(dir_fd, temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                      0600);
    if (fd >= 0)
      return std::pair{fd, std::move(temp)};
    // A collision of 64 random bits means someone is guessing names: give up
    // after a few rather than loop.
    if (errno != EEXIST || attempt >= 8)
      return make_system_error(errno, "create " + (dir / temp).string());
  }
}

} // namespace

caf::expected<void> exchange_paths(const fs::path& a, const fs::path& b) {
  if (::renameat2(AT_FDCWD, a.c_str(), AT_FDCWD, b.c_str(), RENAME_EXCHANGE) != 0) {
    auto err = errno;
    if (err == EINVAL || err == ENOSYS)
      return make_error(ec::invalid_argument, "exchange " + a.string() + " and " + b.string()
                                                + ": the file system cannot exchange them");
    return make_system_error(err, "exchange " + a.string() + " and " + b.string());
  }
  auto dir = b.has_parent_path() ? b.parent_path() : fs::path{"."};
  unique_fd dir_fd{::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (dir_fd.get() < 0 || ::fsync(dir_fd.get()) != 0)
    return make_system_error(errno, "sync " + dir.string());
  return {};
}

caf::expected<fs::path> make_private_directory(const fs::path& parent, std::string_view prefix) {
  auto pattern = (parent / (std::string{prefix} + "XXXXXX")).string();
  if (::mkdtemp(pattern.data()) == nullptr)
    return make_system_error(errno, "mkdtemp " + pattern);
  return fs::path{pattern};
}

caf::expected<void> replace_directory(const fs::path& incoming, const fs::path& target,
                                      const fs::path& aside) {
  std::error_code err;
  if (!fs::exists(target, err)) {
    fs::rename(incoming, target, err);
    if (err)
      return make_system_error(err.value(), "move " + incoming.string() + " to " + target.string());
    return {};
  }
  if (auto swapped = exchange_paths(incoming, target); !swapped)
    return swapped;
  fs::rename(incoming, aside, err); // the old version, now at the incoming name
  if (err) {
    (void) exchange_paths(incoming, target);
    return make_system_error(err.value(), "move " + target.string() + " aside");
  }
  return {};
}

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

caf::expected<void> make_directories(const fs::path& dir, unsigned mode) {
  std::error_code err;
  if (fs::is_directory(dir, err))
    return {};
  auto parent = dir.parent_path();
  if (!parent.empty() && parent != dir) {
    if (auto ok = make_directories(parent, 0755); !ok)
      return ok;
  }
  if (::mkdir(dir.c_str(), 0700) != 0) {
    if (errno == EEXIST && fs::is_directory(dir, err))
      return {}; // made meanwhile by someone else: theirs to set
    return make_system_error(errno, "create directory " + dir.string());
  }
  if (::chmod(dir.c_str(), static_cast<mode_t>(mode & 07777)) != 0)
    return make_system_error(errno, "chmod " + dir.string());
  return {};
}

caf::expected<void> write_file_atomically(const fs::path& file, std::string_view bytes,
                                          unsigned mode, if_exists existing) {
  // A plain file name ("out.reg") lives in the working directory.
  auto dir = file.has_parent_path() ? file.parent_path() : fs::path{"."};
  if (!file.has_filename())
    return make_error(ec::invalid_argument, "no file name in " + file.string());
  auto name = file.filename().string();
  if (auto made = make_directories(dir, (mode & 077) == 0 ? 0700 : 0755); !made)
    return made;
  // Every step works relative to this one descriptor: the directory cannot be
  // swapped for another (a symbolic link to /etc, say) between them.
  unique_fd dir_fd{::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (dir_fd.get() < 0)
    return make_system_error(errno, "open directory " + dir.string());
  auto created = create_temporary(dir_fd.get(), name, dir);
  if (!created)
    return created.error();
  unique_fd fd{created->first};
  const auto& temp = created->second;
  auto temp_path = (dir / temp).string();
  auto fail = [&](caf::error error) -> caf::expected<void> {
    ::unlinkat(dir_fd.get(), temp.c_str(), 0);
    return error;
  };
  // The mode is the one asked for, whatever the umask, before any content.
  if (::fchmod(fd.get(), static_cast<mode_t>(mode & 07777)) != 0)
    return fail(make_system_error(errno, "chmod " + temp_path));
  if (auto written = write_all(fd.get(), bytes, temp_path); !written)
    return fail(written.error());
  if (::fsync(fd.get()) != 0)
    return fail(make_system_error(errno, "fsync " + temp_path));
  fd.reset();
  if (existing == if_exists::keep) {
    // link(2) never replaces: another writer's file stays as it is.
    int rc = ::linkat(dir_fd.get(), temp.c_str(), dir_fd.get(), name.c_str(), 0);
    int link_errno = errno;
    ::unlinkat(dir_fd.get(), temp.c_str(), 0);
    if (rc != 0)
      return make_system_error(link_errno, "link " + temp_path + " to " + file.string());
  } else if (::renameat(dir_fd.get(), temp.c_str(), dir_fd.get(), name.c_str()) != 0) {
    // rename(2) replaces a symbolic link at `file` itself, never its target.
    return fail(make_system_error(errno, "rename " + temp_path + " to " + file.string()));
  }
  if (::fsync(dir_fd.get()) != 0)
    return make_system_error(errno, "fsync directory " + dir.string());
  return {};
}

void restrict_to_owner(std::FILE* stream) noexcept {
  (void) ::fchmod(::fileno(stream), 0600);
}

} // namespace vigil
