#pragma once

#include <caf/expected.hpp>
#include <cstdint>
#include <filesystem>

// What the operating system says about a file, in the terms program integrity
// (SPEC §13) compares: one seam, so the comparison itself stays portable.

namespace vigil {

/// A file as the file system reports it, the link itself when it is one.
struct file_facts {
  bool regular = false;        ///< a regular file (not a link, directory or device)
  uint32_t mode = 0;           ///< permission bits (07777); POSIX only, 0 on Windows
  bool owned_by_admin = false; ///< owned by root (Windows: Administrators or SYSTEM)
  uint64_t device = 0;         ///< with `inode`: which file this is
  uint64_t inode = 0;
  uint64_t size = 0;
  int64_t modified_ns = 0; ///< last content change
  int64_t changed_ns = 0;  ///< last change of anything (POSIX ctime; Windows: ChangeTime)

  friend bool operator==(const file_facts&, const file_facts&) = default;
};

/// The facts of `file`, without following a symbolic link. A missing file is
/// `ec::not_found`; other failures are system errors naming the file.
caf::expected<file_facts> file_facts_of(const std::filesystem::path& file);

/// Whether this process runs with the rights that own installed programs
/// (root; Windows: an elevated administrator).
bool running_as_admin() noexcept;

} // namespace vigil
