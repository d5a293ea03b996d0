#include "scan/root_fs.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <deque>

#include "common/error.hpp"
#include "scan/host_files.hpp"

namespace vigil::scan {

file_reader::file_reader(std::unique_ptr<impl> file) noexcept : file_{std::move(file)} {}
file_reader::~file_reader() = default;
file_reader::file_reader(file_reader&&) noexcept = default;
file_reader& file_reader::operator=(file_reader&&) noexcept = default;

caf::expected<size_t> file_reader::read(char* buffer, size_t size) {
  return file_->read(buffer, size);
}

uint64_t file_reader::size() const noexcept {
  return file_->size();
}

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
    auto st = host_files::lstat(host_path(here), normalize(path));
    if (!st) {
      if (code_of(st.error()) == ec::not_found && links > 0)
        return make_error(ec::not_found, normalize(path) + ": dangling symlink");
      return st.error();
    }
    if (st->is_symlink()) {
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
    if (!last && !st->is_dir())
      return make_system_error(ENOTDIR, normalize(path));
  }
  return join(done);
}

caf::expected<file_info> root_fs::stat_of(std::string_view path, bool follow_last) const {
  auto resolved = resolve(path, follow_last);
  if (!resolved)
    return resolved.error();
  // Resolved paths name no link but (unfollowed) the last, so lstat sees the
  // object asked for.
  return host_files::lstat(host_path(*resolved), normalize(path));
}

caf::expected<file_info> root_fs::lstat(std::string_view path) const {
  return stat_of(path, false);
}

caf::expected<file_info> root_fs::stat(std::string_view path) const {
  return stat_of(path, true);
}

caf::expected<std::string> root_fs::read_link(std::string_view path) const {
  return host_files::read_link(host_path(path), normalize(path));
}

caf::expected<file_reader> root_fs::open_regular(std::string_view path) const {
  auto resolved = resolve(path, true);
  if (!resolved)
    return resolved.error();
  auto host = host_path(*resolved);
  auto before = host_files::lstat(host, normalize(path));
  if (!before)
    return before.error();
  if (!before->is_regular())
    return make_error(ec::invalid_argument, normalize(path) + ": not a regular file ("
                                              + std::string{type_name(*before)} + ")");
  return host_files::open_regular(host, *before, normalize(path));
}

caf::expected<std::string> root_fs::read_file(std::string_view path, size_t cap,
                                              bool* truncated) const {
  auto file = open_regular(path);
  if (!file)
    return file.error();
  std::string out;
  // Sized up front: one allocation, and no stale partial copies of the file
  // left behind by reallocation (it may be /etc/shadow). /proc files say 0.
  if (file->size() > 0)
    out.reserve(std::min(cap, static_cast<size_t>(file->size()) + 1));
  char buffer[64 * 1024];
  if (truncated != nullptr)
    *truncated = false;
  for (;;) {
    auto got = file->read(buffer, sizeof(buffer));
    if (!got)
      return got.error();
    auto n = *got;
    if (n == 0)
      break;
    auto room = cap - out.size();
    if (n > room) {
      out.append(buffer, room);
      if (truncated != nullptr)
        *truncated = true;
      break;
    }
    out.append(buffer, n);
  }
  return out;
}

caf::expected<std::vector<std::string>> root_fs::list_dir(std::string_view path) const {
  auto resolved = resolve(path, true);
  if (!resolved)
    return resolved.error();
  auto names = host_files::list_dir(host_path(*resolved), normalize(path));
  if (names)
    std::sort(names->begin(), names->end());
  return names;
}

std::string_view type_name(const file_info& info) noexcept {
  switch (info.type) {
    case file_type::file: return "file";
    case file_type::dir: return "dir";
    case file_type::symlink: return "symlink";
    case file_type::fifo: return "fifo";
    case file_type::socket: return "socket";
    case file_type::character: return "char";
    case file_type::block: return "block";
    default: return "unknown";
  }
}

std::string mode_string(const file_info& info) {
  char text[8];
  std::snprintf(text, sizeof(text), "%04o", static_cast<unsigned>(info.mode & 07777));
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
