#pragma once

#include <caf/expected.hpp>
#include <map>
#include <memory>
#include <string>
#include <string_view>

namespace vigil {

/// One regular file of a tar archive.
struct archive_member_file {
  std::string bytes;
  unsigned mode = 0644;
};

/// Every regular file of the tar archive `data` (any compression libarchive
/// reads) by its path without a leading "./" ("bin/vigil-agent").
caf::expected<std::map<std::string, archive_member_file>> read_archive_files(std::string_view data);

/// A tar.xz written in memory: directories and files in the order added,
/// owned by root, at a fixed time (2024-01-01: the same input gives the same
/// bytes, and no file looks older than the format), compressed by liblzma's
/// multi-threaded encoder with a fixed block layout.
class tar_xz_writer {
public:
  tar_xz_writer();
  ~tar_xz_writer();
  tar_xz_writer(const tar_xz_writer&) = delete;
  tar_xz_writer& operator=(const tar_xz_writer&) = delete;

  /// Adds a directory (0755).
  caf::expected<void> directory(const std::string& path);
  /// Adds a regular file.
  caf::expected<void> file(const std::string& path, unsigned mode, std::string_view bytes);
  /// Ends the archive and returns its bytes.
  caf::expected<std::string> finish();

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace vigil
