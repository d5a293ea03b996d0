#pragma once

#include <caf/expected.hpp>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "host/paths.hpp"

// The installed program files and their reference copy (SPEC §13). Setup,
// right after it puts the files in place, keeps a copy of them with a list of
// their SHA-256, size and mode in a root-only directory of the program data,
// one per installed version (`<state>/pristine/<version>`); while
// self-protection is on, the agent compares the installed files with that list
// and restores any that changed from the copy. Keeping one copy per version
// means a rollback (the previous version's files put back) finds its own
// reference, and nothing has to be fetched from the network to repair.

namespace vigil {

/// One installed program file as setup laid it down.
struct program_file {
  std::string path;   ///< relative to `paths::program_files()`, '/'-separated
  std::string sha256; ///< of its content, 64 lowercase hex digits
  uint64_t size = 0;
  uint32_t mode = 0;  ///< permission bits (07777)

  friend bool operator==(const program_file&, const program_file&) = default;
};

/// What setup installed: the version and every regular file.
struct program_manifest {
  std::string version;
  std::vector<program_file> files;
};

/// The reference copy's directory for `version`: `<state>/pristine/<version>`.
std::filesystem::path pristine_dir(const paths& p, std::string_view version);

/// Copies every regular file under `p.program_files()` to
/// `pristine_dir(p, version)` (mode 0700, files 0600: the copy is never run)
/// with `files.json`, replacing an older copy of that version atomically, and
/// removes the copies of every version but `version` and `keep_also` (the one
/// a rollback may return to). Returns what it recorded.
caf::expected<program_manifest> keep_pristine_copy(const paths& p, std::string_view version,
                                                   std::string_view keep_also);

/// The list kept for `version`; `ec::not_found` when setup kept none (an
/// install older than self-protection), `ec::parse_error` when it is not one.
caf::expected<program_manifest> load_program_manifest(const paths& p, std::string_view version);

/// A program file that is not as setup installed it.
struct file_tamper {
  std::string path; ///< relative to `paths::program_files()`
  /// "deleted", "content changed", "mode changed", "owner changed" or
  /// "not a regular file" (replaced by a link, a directory ...).
  std::string what;

  friend bool operator==(const file_tamper&, const file_tamper&) = default;
};

/// Compares the installed program files with a manifest and restores them
/// from the reference copy. A file is hashed again only when its inode, size,
/// modification or change time moved since it was last found good, so a check
/// of unchanged files costs one stat each.
class program_file_checker {
public:
  program_file_checker(paths p, program_manifest manifest);

  /// Every file that differs from the manifest now.
  std::vector<file_tamper> check();

  /// Puts `file` back from the reference copy (verified against the
  /// manifest first: a reference copy that was altered too is
  /// `ec::hash_mismatch` and nothing is written) with its mode and root as
  /// owner, atomically (a temporary file renamed over the path).
  caf::expected<void> restore(const std::string& file);

  const program_manifest& manifest() const noexcept {
    return manifest_;
  }

private:
  struct seen {
    uint64_t device = 0, inode = 0, size = 0;
    int64_t mtime_ns = 0, ctime_ns = 0;
    friend bool operator==(const seen&, const seen&) = default;
  };
  paths paths_;
  program_manifest manifest_;
  std::map<std::string, seen> good_; ///< stat of files last found good
};

} // namespace vigil
