#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <caf/expected.hpp>

namespace vigil::scan {

/// A file's kind, as `type_name` spells it in rows.
enum class file_type : uint8_t { file, dir, symlink, fifo, socket, character, block, unknown };

/// What the file system says about one file (the link itself for `lstat`),
/// in the terms rows use. On Windows, which has no POSIX owners or modes,
/// `uid` and `gid` are 0 and `mode` is 0444 or 0666 (0555/0777 for folders)
/// by the read-only attribute.
struct file_info {
  file_type type = file_type::unknown;
  uint32_t mode = 0; ///< permission bits with setuid, setgid, sticky (07777)
  uint32_t uid = 0;
  uint32_t gid = 0;
  uint64_t size = 0;
  int64_t mtime = 0;  ///< last content change, seconds since the epoch
  uint64_t device = 0; ///< with `inode`: which file this is
  uint64_t inode = 0;

  bool is_regular() const noexcept { return type == file_type::file; }
  bool is_dir() const noexcept { return type == file_type::dir; }
  bool is_symlink() const noexcept { return type == file_type::symlink; }
};

/// A regular file open for reading, closed on destruction.
class file_reader {
public:
  /// The system's side: a descriptor or a handle (scan/posix, scan/windows).
  class impl;

  explicit file_reader(std::unique_ptr<impl> file) noexcept;
  ~file_reader();
  file_reader(file_reader&&) noexcept;
  file_reader& operator=(file_reader&&) noexcept;

  /// Up to `size` bytes into `buffer`: how many, 0 at the end. A failed read
  /// is a system error naming the in-root path.
  caf::expected<size_t> read(char* buffer, size_t size);

  /// The file's size when it was opened.
  uint64_t size() const noexcept;

private:
  std::unique_ptr<impl> file_;
};

/// The scanned file system seen from inside a root directory. Paths given to
/// and returned by members are "in-root" paths as the scanned host sees them
/// (`/etc/passwd`); symbolic links are resolved by this class, not the kernel,
/// so an absolute link target stays under the root, `..` never climbs above
/// it, and a link loop is an error instead of a hang. Error messages name
/// in-root paths only, so identical fixture trees under different roots give
/// identical rows.
class root_fs {
public:
  /// The maximum number of links followed while resolving one path (Linux's
  /// MAXSYMLINKS); one more is reported as a symlink loop.
  static constexpr int max_symlinks = 40;

  /// A view of the tree under `root`.
  explicit root_fs(std::filesystem::path root);

  /// Whether the root is `/`: then host-wide sources (getifaddrs) describe the
  /// scanned system too.
  bool is_host_root() const noexcept { return host_root_; }

  /// The root directory.
  const std::filesystem::path& root() const noexcept { return root_; }

  /// Where the in-root path `path` lies on disk, lexically: `.` and `..` are
  /// folded (never above the root), links are not resolved.
  std::filesystem::path host_path(std::string_view path) const;

  /// `path` folded lexically to a canonical in-root absolute path ("/a/b").
  static std::string normalize(std::string_view path);

  /// `path` with every symbolic link resolved under the root (the last
  /// component only when `follow_last`). Errors: `ec::not_found` (a missing
  /// component; "dangling symlink" when a link points nowhere),
  /// `ec::io_error` for a symlink loop or a non-directory in the middle,
  /// `ec::permission_denied`.
  caf::expected<std::string> resolve(std::string_view path, bool follow_last = true) const;

  /// `lstat` of `path` after resolving the links before its last component.
  caf::expected<file_info> lstat(std::string_view path) const;

  /// `stat` of `path`, links resolved under the root.
  caf::expected<file_info> stat(std::string_view path) const;

  /// The target text of the symbolic link `path`.
  caf::expected<std::string> read_link(std::string_view path) const;

  /// Up to `cap` bytes of the regular file `path` (links resolved under the
  /// root); `truncated`, when given, tells whether more was there. Anything but
  /// a regular file (a FIFO, a device, a directory) is `ec::invalid_argument`
  /// and never opened, so reading cannot block.
  caf::expected<std::string> read_file(std::string_view path, size_t cap,
                                       bool* truncated = nullptr) const;

  /// Opens the regular file `path` for reading (links resolved under the
  /// root). Refuses what is not a regular file before opening it, and a file
  /// swapped for another between the check and the open.
  caf::expected<file_reader> open_regular(std::string_view path) const;

  /// The names in directory `path` (links resolved), sorted, without `.`/`..`.
  caf::expected<std::vector<std::string>> list_dir(std::string_view path) const;

private:
  /// `stat` (following a final link) or `lstat` (not) under the root.
  caf::expected<file_info> stat_of(std::string_view path, bool follow_last) const;
  std::filesystem::path root_;
  bool host_root_;
};

/// `info`'s file type as rows spell it: "file", "dir", "symlink", "fifo",
/// "socket", "char", "block" or "unknown".
std::string_view type_name(const file_info& info) noexcept;

/// The permission bits of `info` (including setuid, setgid, sticky) as a
/// four-digit octal string: "0644", "4755".
std::string mode_string(const file_info& info);

/// Joins an in-root directory and a name: ("/", "etc") -> "/etc".
std::string join_path(std::string_view dir, std::string_view name);

} // namespace vigil::scan
