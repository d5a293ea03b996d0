#pragma once

// The calls root_fs makes to the operating system, on host paths (already
// under the root, links resolved by root_fs itself): one implementation per
// system, scan/posix/host_files.cpp and scan/windows/host_files.cpp. Internal
// to scan/. Errors name `shown`, the in-root path, never the host path, so
// fixture trees under different roots give identical rows.

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <caf/expected.hpp>

#include "scan/root_fs.hpp"

namespace vigil::scan {

/// What a file_reader reads through: an open descriptor (scan/posix) or
/// handle (scan/windows), closed when destroyed.
class file_reader::impl {
public:
  virtual ~impl() = default;
  /// Up to `size` bytes into `buffer`; 0 at the end. Errors name the file.
  virtual caf::expected<size_t> read(char* buffer, size_t size) = 0;
  /// The size the file had when opened.
  virtual uint64_t size() const noexcept = 0;
};

} // namespace vigil::scan

namespace vigil::scan::host_files {

/// What `file` is, not following it when it is a symbolic link. A missing
/// file is `ec::not_found`.
caf::expected<file_info> lstat(const std::filesystem::path& file, std::string_view shown);

/// The target text of the symbolic link `file`, as stored.
caf::expected<std::string> read_link(const std::filesystem::path& file, std::string_view shown);

/// Opens `file`, which `before` (its lstat) says is a regular file, for
/// reading: never following a final link and never blocking (should it have
/// been swapped for a FIFO), and refusing with `ec::io_error` a file that is no
/// longer the one `before` describes.
caf::expected<file_reader> open_regular(const std::filesystem::path& file,
                                        const file_info& before, std::string_view shown);

/// The names in the directory `dir`, without `.` and `..`, in no order.
caf::expected<std::vector<std::string>> list_dir(const std::filesystem::path& dir,
                                                 std::string_view shown);

} // namespace vigil::scan::host_files
