#pragma once

#include <caf/expected.hpp>
#include <chrono>
#include <filesystem>

// The one advisory file lock of Vigil (issue 16, item 10): the hive and the
// agent's status file are replaced atomically (a new inode at every write), so
// their writers serialize on an flock of a sibling `.lock` file that is never
// replaced.

namespace vigil {

/// An exclusive flock held on an open lock file; released when destroyed (or
/// moved from and destroyed). Closing the descriptor releases the lock.
class file_lock {
public:
  file_lock() noexcept = default;
  explicit file_lock(int fd) noexcept : fd_{fd} {}
  ~file_lock();
  file_lock(file_lock&& other) noexcept;
  file_lock& operator=(file_lock&& other) noexcept;
  file_lock(const file_lock&) = delete;
  file_lock& operator=(const file_lock&) = delete;

  /// Whether a lock is held.
  explicit operator bool() const noexcept { return fd_ >= 0; }

private:
  int fd_ = -1;
};

/// Takes an exclusive flock on `lock_file` (created 0600 when missing, never
/// through a symbolic link), waiting at most `timeout`. Tries again with a
/// pause that grows from 1 to 20 ms, so a short hold costs little latency and
/// a long one little CPU. Errors: `ec::lock_failed` when another process holds
/// it past the timeout; a system error when the file cannot be opened.
caf::expected<file_lock> lock_file(const std::filesystem::path& lock_file,
                                   std::chrono::milliseconds timeout);

/// `lock_file` on `<file>.lock`: the lock of a file written atomically.
caf::expected<file_lock> lock_sibling(const std::filesystem::path& file,
                                      std::chrono::milliseconds timeout);

} // namespace vigil
