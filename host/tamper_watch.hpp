#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

// Who changed a protected file (SPEC §13). fanotify tells the pid of the
// process behind every change of a directory's entries (content, mode,
// delete, rename); the executable and uid are read from /proc at once, and
// are "unknown" when that process is already gone. Where fanotify is not
// allowed (no CAP_SYS_ADMIN, an old kernel) inotify still wakes the checker
// at once, without names of processes.

namespace vigil {

/// One change under a watched directory.
struct file_change {
  std::filesystem::path file; ///< the watched directory / the entry's name
  std::string what;           ///< "modified", "attributes", "deleted", "moved in", "created"
  int pid = 0;                ///< 0 when the kernel did not say (inotify)
  std::string exe;            ///< the process's executable, "" when unknown
  int uid = -1;               ///< its real uid, -1 when unknown
};

/// Watches the entries of a few directories.
class tamper_watch {
public:
  virtual ~tamper_watch();

  /// Watches `dirs` (their direct entries) with fanotify when allowed, else
  /// inotify. Directories that do not exist are skipped.
  static std::unique_ptr<tamper_watch> open(const std::vector<std::filesystem::path>& dirs);

  /// Waits up to `timeout` for changes and returns them (none on timeout).
  /// Changes made by this process itself are left out.
  virtual std::vector<file_change> wait(std::chrono::milliseconds timeout) = 0;

  /// "fanotify" or "inotify".
  virtual std::string kind() const = 0;
};

} // namespace vigil
