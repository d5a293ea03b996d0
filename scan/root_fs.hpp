#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <sys/stat.h>
#include <vector>

#include <caf/expected.hpp>

namespace vigil::scan {

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
  caf::expected<struct stat> lstat(std::string_view path) const;

  /// `stat` of `path`, links resolved under the root.
  caf::expected<struct stat> stat(std::string_view path) const;

  /// The target text of the symbolic link `path`.
  caf::expected<std::string> read_link(std::string_view path) const;

  /// Up to `cap` bytes of the regular file `path` (links resolved under the
  /// root); `truncated`, when given, tells whether more was there. Anything but
  /// a regular file (a FIFO, a device, a directory) is `ec::invalid_argument`
  /// and never opened, so reading cannot block.
  caf::expected<std::string> read_file(std::string_view path, size_t cap,
                                       bool* truncated = nullptr) const;

  /// Opens the regular file `path` for reading (links resolved under the root)
  /// and returns the descriptor, which the caller closes. Refuses what is not
  /// a regular file before opening it.
  caf::expected<int> open_regular(std::string_view path) const;

  /// The names in directory `path` (links resolved), sorted, without `.`/`..`.
  caf::expected<std::vector<std::string>> list_dir(std::string_view path) const;

private:
  /// `stat` (following a final link) or `lstat` (not) under the root.
  caf::expected<struct stat> stat_of(std::string_view path, bool follow_last) const;
  std::filesystem::path root_;
  bool host_root_;
};

/// `st`'s file type as rows spell it: "file", "dir", "symlink", "fifo",
/// "socket", "char", "block" or "unknown".
std::string_view type_name(const struct stat& st) noexcept;

/// The permission bits of `st` (including setuid, setgid, sticky) as a
/// four-digit octal string: "0644", "4755".
std::string mode_string(const struct stat& st);

/// Joins an in-root directory and a name: ("/", "etc") -> "/etc".
std::string join_path(std::string_view dir, std::string_view name);

} // namespace vigil::scan
