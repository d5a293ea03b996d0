#pragma once

#include <caf/expected.hpp>
#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>

// The one way Vigil writes a file that must never be seen half-written (issue
// 15, defect 4): the hive, keys, certificates, the status file, snapshots,
// reports, the program files setup extracts. Everything that writes a whole
// file goes through `write_file_atomically`.

namespace vigil {

/// What `write_file_atomically` does when the target already exists.
enum class if_exists {
  replace, ///< rename(2) over it (the usual case)
  keep,    ///< link(2): never replace; `ec::already_exists` when it is there
};

/// Writes `bytes` to `file` atomically and durably:
///
/// 1. a temporary file with a random name (`.<name>.<16 hex digits>.tmp`) in
///    the target's directory, created with O_CREAT|O_EXCL|O_NOFOLLOW|O_CLOEXEC,
///    so a stale file or a symbolic link planted at any name is never opened,
///    followed or reused (with its old owner and permissions);
/// 2. `fchmod` to exactly `mode` (the umask does not apply) before any byte is
///    written;
/// 3. the content, then fsync of the file;
/// 4. rename(2) over `file` (or link(2), for `if_exists::keep`), which
///    replaces a symbolic link at `file` rather than following it;
/// 5. fsync of the directory.
///
/// The default mode is 0600: anything readable by others must ask for it.
/// A plain file name is in the working directory; missing parent directories
/// are created (`make_directories`): the file's own directory 0700 for a file
/// only its owner may read, else 0755. On failure the temporary file is
/// removed and `file` is unchanged.
caf::expected<void> write_file_atomically(const std::filesystem::path& file,
                                          std::string_view bytes, unsigned mode = 0600,
                                          if_exists existing = if_exists::replace);

/// Creates `dir` and its missing parents: the parents 0755, `dir` itself with
/// exactly `mode` (the umask does not apply). An existing `dir` keeps its mode.
caf::expected<void> make_directories(const std::filesystem::path& dir, unsigned mode);

/// Exchanges `a` and `b` (files or directories, on one file system) in one
/// atomic step (renameat2 RENAME_EXCHANGE), then syncs their directory: at
/// every moment each name holds one whole thing, the old or the new, so a
/// process killed at any instant leaves no gap (the program files during an
/// upgrade or a rollback, SPEC §12). Both must exist; a file system without
/// the exchange is `ec::invalid_argument`, other failures name the paths.
caf::expected<void> exchange_paths(const std::filesystem::path& a, const std::filesystem::path& b);

/// Puts the directory `incoming` in place of `target`, moving what was at
/// `target` (if anything) to `aside` (which must not exist): the program files
/// of an install or upgrade. POSIX: one atomic exchange (`exchange_paths`),
/// then a rename, so `target` always holds one whole version. Windows has no
/// atomic exchange: two renames, between which `target` is missing for an
/// instant (setup has stopped the service; a setup killed there leaves the
/// old version whole at `aside`). On failure nothing has moved.
caf::expected<void> replace_directory(const std::filesystem::path& incoming,
                                      const std::filesystem::path& target,
                                      const std::filesystem::path& aside);

/// Creates a new directory `<parent>/<prefix><random>` only this user may
/// enter (POSIX mkdtemp, 0700; Windows CreateDirectoryW with a random name,
/// which fails rather than reuse one that exists), for files a run keeps
/// private for its duration (the CA an enrolled vigil-setup carries).
caf::expected<std::filesystem::path> make_private_directory(const std::filesystem::path& parent,
                                                            std::string_view prefix);

/// Makes the file behind an open stream readable and writable by its owner
/// alone (POSIX: fchmod 0600), for files another library creates with the
/// default mode (spdlog's log files). Best effort: a failure leaves the mode.
void restrict_to_owner(std::FILE* stream) noexcept;

/// Reads a whole file. A missing file is `ec::not_found`.
caf::expected<std::string> read_whole_file(const std::filesystem::path& file);

} // namespace vigil
