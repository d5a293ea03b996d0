#include "scan/root_fs.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <deque>
#include <dirent.h>
#include <fcntl.h>
#include <memory>
#include <unistd.h>

#include "common/error.hpp"

namespace vigil::scan {

namespace {

/// The components of `path`, without empty ones and `.`.
std::deque<std::string> split(std::string_view path) {
  std::deque<std::string> parts;
  size_t start = 0;
  while (start <= path.size()) {
    auto end = path.find('/', start);
    if (end == std::string_view::npos)
      end = path.size();
    auto part = path.substr(start, end - start);
    if (!part.empty() && part != ".")
      parts.emplace_back(part);
    start = end + 1;
  }
  return parts;
}

std::string join(const std::vector<std::string>& parts) {
  if (parts.empty())
    return "/";
  std::string out;
  for (const auto& part : parts) {
    out += '/';
    out += part;
  }
  return out;
}

/// Closes a descriptor on scope exit.
struct fd_closer {
  int fd;
  ~fd_closer() {
    if (fd >= 0)
      ::close(fd);
  }
};

} // namespace

root_fs::root_fs(std::filesystem::path root)
  : root_(std::filesystem::absolute(root).lexically_normal()),
    host_root_(root_ == root_.root_path()) {
}

std::string root_fs::normalize(std::string_view path) {
  std::vector<std::string> done;
  for (auto& part : split(path)) {
    if (part == "..") {
      if (!done.empty())
        done.pop_back();
    } else {
      done.push_back(std::move(part));
    }
  }
  return join(done);
}

std::filesystem::path root_fs::host_path(std::string_view path) const {
  auto relative = normalize(path).substr(1);
  return relative.empty() ? root_ : root_ / relative;
}

caf::expected<std::string> root_fs::resolve(std::string_view path, bool follow_last) const {
  auto todo = split(path);
  std::vector<std::string> done;
  int links = 0;
  while (!todo.empty()) {
    auto part = std::move(todo.front());
    todo.pop_front();
    if (part == "..") {
      if (!done.empty())
        done.pop_back();
      continue;
    }
    done.push_back(std::move(part));
    bool last = todo.empty();
    if (last && !follow_last)
      break;
    auto here = join(done);
    struct stat st{};
    if (::lstat(host_path(here).c_str(), &st) != 0) {
      int err = errno;
      if (err == ENOENT && links > 0)
        return make_error(ec::not_found, normalize(path) + ": dangling symlink");
      return make_system_error(err, normalize(path));
    }
    if (S_ISLNK(st.st_mode)) {
      if (++links > max_symlinks)
        return make_error(ec::io_error, normalize(path) + ": symlink loop");
      auto target = read_link(here);
      if (!target)
        return target.error();
      done.pop_back();
      if (!target->empty() && target->front() == '/')
        done.clear();
      auto expansion = split(*target);
      todo.insert(todo.begin(), expansion.begin(), expansion.end());
      continue;
    }
    if (!last && !S_ISDIR(st.st_mode))
      return make_system_error(ENOTDIR, normalize(path));
  }
  return join(done);
}

caf::expected<struct stat> root_fs::stat_of(std::string_view path, bool follow_last) const {
  auto resolved = resolve(path, follow_last);
  if (!resolved)
    return resolved.error();
  struct stat st{};
  // Resolved paths name no link but (unfollowed) the last, so lstat sees the
  // object asked for.
  if (::lstat(host_path(*resolved).c_str(), &st) != 0)
    return make_system_error(errno, normalize(path));
  return st;
}

caf::expected<struct stat> root_fs::lstat(std::string_view path) const {
  return stat_of(path, false);
}

caf::expected<struct stat> root_fs::stat(std::string_view path) const {
  return stat_of(path, true);
}

caf::expected<std::string> root_fs::read_link(std::string_view path) const {
  std::string buffer(256, '\0');
  auto host = host_path(path);
  for (;;) {
    auto n = ::readlink(host.c_str(), buffer.data(), buffer.size());
    if (n < 0)
      return make_system_error(errno, normalize(path));
    if (static_cast<size_t>(n) < buffer.size()) {
      buffer.resize(static_cast<size_t>(n));
      return buffer;
    }
    buffer.resize(buffer.size() * 2);
  }
}

caf::expected<int> root_fs::open_regular(std::string_view path) const {
  auto resolved = resolve(path, true);
  if (!resolved)
    return resolved.error();
  auto host = host_path(*resolved);
  struct stat before{};
  if (::lstat(host.c_str(), &before) != 0)
    return make_system_error(errno, normalize(path));
  if (!S_ISREG(before.st_mode))
    return make_error(ec::invalid_argument, normalize(path) + ": not a regular file ("
                                              + std::string{type_name(before)} + ")");
  // O_NONBLOCK and O_NOFOLLOW: should the path be swapped for a FIFO or a link
  // after the check, the open neither blocks nor leaves the root.
  int fd = ::open(host.c_str(), O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return make_system_error(errno, normalize(path));
  struct stat after{};
  if (::fstat(fd, &after) != 0 || !S_ISREG(after.st_mode) || after.st_ino != before.st_ino
      || after.st_dev != before.st_dev) {
    ::close(fd);
    return make_error(ec::io_error, normalize(path) + ": changed while being opened");
  }
  return fd;
}

caf::expected<std::string> root_fs::read_file(std::string_view path, size_t cap,
                                              bool* truncated) const {
  auto fd = open_regular(path);
  if (!fd)
    return fd.error();
  fd_closer closer{*fd};
  std::string out;
  // Sized up front: one allocation, and no stale partial copies of the file
  // left behind by reallocation (it may be /etc/shadow). /proc files say 0.
  struct stat st{};
  if (::fstat(*fd, &st) == 0 && st.st_size > 0)
    out.reserve(std::min(cap, static_cast<size_t>(st.st_size) + 1));
  char buffer[64 * 1024];
  if (truncated != nullptr)
    *truncated = false;
  for (;;) {
    auto n = ::read(*fd, buffer, sizeof(buffer));
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return make_system_error(errno, normalize(path));
    }
    if (n == 0)
      break;
    auto room = cap - out.size();
    if (static_cast<size_t>(n) > room) {
      out.append(buffer, room);
      if (truncated != nullptr)
        *truncated = true;
      break;
    }
    out.append(buffer, static_cast<size_t>(n));
  }
  return out;
}

caf::expected<std::vector<std::string>> root_fs::list_dir(std::string_view path) const {
  auto resolved = resolve(path, true);
  if (!resolved)
    return resolved.error();
  std::unique_ptr<DIR, int (*)(DIR*)> dir{::opendir(host_path(*resolved).c_str()), ::closedir};
  if (!dir)
    return make_system_error(errno, normalize(path));
  std::vector<std::string> names;
  errno = 0;
  while (auto* entry = ::readdir(dir.get())) {
    std::string_view name = entry->d_name;
    if (name != "." && name != "..")
      names.emplace_back(name);
  }
  if (errno != 0)
    return make_system_error(errno, normalize(path));
  std::sort(names.begin(), names.end());
  return names;
}

std::string_view type_name(const struct stat& st) noexcept {
  switch (st.st_mode & S_IFMT) {
    case S_IFREG: return "file";
    case S_IFDIR: return "dir";
    case S_IFLNK: return "symlink";
    case S_IFIFO: return "fifo";
    case S_IFSOCK: return "socket";
    case S_IFCHR: return "char";
    case S_IFBLK: return "block";
    default: return "unknown";
  }
}

std::string mode_string(const struct stat& st) {
  char text[8];
  std::snprintf(text, sizeof(text), "%04o", static_cast<unsigned>(st.st_mode & 07777));
  return text;
}

std::string join_path(std::string_view dir, std::string_view name) {
  std::string out{dir};
  if (out.empty() || out.back() != '/')
    out += '/';
  out += name;
  return out;
}

} // namespace vigil::scan
