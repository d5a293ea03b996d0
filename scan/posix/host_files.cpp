// scan/host_files.hpp on POSIX: lstat(2), readlink(2), open(2) and
// readdir(3), moved here unchanged from root_fs.cpp.
#include "scan/host_files.hpp"

#include <cerrno>
#include <dirent.h>
#include <fcntl.h>
#include <memory>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.hpp"

namespace vigil::scan {

/// An open descriptor and the in-root path its errors name.
class descriptor_reader final : public file_reader::impl {
public:
  descriptor_reader(int fd, uint64_t size, std::string shown)
    : fd_{fd}, size_{size}, shown_{std::move(shown)} {}
  ~descriptor_reader() override { ::close(fd_); }
  descriptor_reader(const descriptor_reader&) = delete;
  descriptor_reader& operator=(const descriptor_reader&) = delete;

  caf::expected<size_t> read(char* buffer, size_t size) override {
    for (;;) {
      auto n = ::read(fd_, buffer, size);
      if (n >= 0)
        return static_cast<size_t>(n);
      if (errno != EINTR)
        return make_system_error(errno, shown_);
    }
  }

  uint64_t size() const noexcept override { return size_; }

private:
  int fd_;
  uint64_t size_;
  std::string shown_;
};

namespace {

file_type type_of(mode_t mode) noexcept {
  switch (mode & S_IFMT) {
    case S_IFREG: return file_type::file;
    case S_IFDIR: return file_type::dir;
    case S_IFLNK: return file_type::symlink;
    case S_IFIFO: return file_type::fifo;
    case S_IFSOCK: return file_type::socket;
    case S_IFCHR: return file_type::character;
    case S_IFBLK: return file_type::block;
    default: return file_type::unknown;
  }
}

file_info info_of(const struct stat& st) noexcept {
  file_info info;
  info.type = type_of(st.st_mode);
  info.mode = static_cast<uint32_t>(st.st_mode & 07777);
  info.uid = st.st_uid;
  info.gid = st.st_gid;
  info.size = static_cast<uint64_t>(st.st_size);
  info.mtime = static_cast<int64_t>(st.st_mtim.tv_sec);
  info.device = static_cast<uint64_t>(st.st_dev);
  info.inode = static_cast<uint64_t>(st.st_ino);
  return info;
}

} // namespace

namespace host_files {

caf::expected<file_info> lstat(const std::filesystem::path& file, std::string_view shown) {
  struct stat st{};
  if (::lstat(file.c_str(), &st) != 0)
    return make_system_error(errno, shown);
  return info_of(st);
}

caf::expected<std::string> read_link(const std::filesystem::path& file, std::string_view shown) {
  std::string buffer(256, '\0');
  for (;;) {
    auto n = ::readlink(file.c_str(), buffer.data(), buffer.size());
    if (n < 0)
      return make_system_error(errno, shown);
    if (static_cast<size_t>(n) < buffer.size()) {
      buffer.resize(static_cast<size_t>(n));
      return buffer;
    }
    buffer.resize(buffer.size() * 2);
  }
}

caf::expected<file_reader> open_regular(const std::filesystem::path& file,
                                        const file_info& before, std::string_view shown) {
  // O_NONBLOCK and O_NOFOLLOW: should the path be swapped for a FIFO or a link
  // after the check, the open neither blocks nor leaves the root.
  int fd = ::open(file.c_str(), O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return make_system_error(errno, shown);
  struct stat after{};
  if (::fstat(fd, &after) != 0 || !S_ISREG(after.st_mode)
      || static_cast<uint64_t>(after.st_ino) != before.inode
      || static_cast<uint64_t>(after.st_dev) != before.device) {
    ::close(fd);
    return make_error(ec::io_error, std::string{shown} + ": changed while being opened");
  }
  return file_reader{std::make_unique<descriptor_reader>(fd, static_cast<uint64_t>(after.st_size),
                                                         std::string{shown})};
}

caf::expected<std::vector<std::string>> list_dir(const std::filesystem::path& dir,
                                                 std::string_view shown) {
  std::unique_ptr<DIR, int (*)(DIR*)> handle{::opendir(dir.c_str()), ::closedir};
  if (!handle)
    return make_system_error(errno, shown);
  std::vector<std::string> names;
  errno = 0;
  while (auto* entry = ::readdir(handle.get())) {
    std::string_view name = entry->d_name;
    if (name != "." && name != "..")
      names.emplace_back(name);
  }
  if (errno != 0)
    return make_system_error(errno, shown);
  return names;
}

} // namespace host_files

} // namespace vigil::scan
