#pragma once

#include <caf/expected.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>

// The one advisory file lock of Vigil (issue 16, item 10): the hive and the
// agent's status file are replaced atomically (a new inode at every write), so
// their writers serialize on an flock of a sibling `.lock` file that is never
// replaced.

namespace vigil {

/// An exclusive lock held on an open lock file (POSIX flock; Windows
/// LockFileEx); released when destroyed (or moved from and destroyed).
/// Closing the descriptor or handle releases the lock.
class file_lock {
public:
  file_lock() noexcept = default;
  /// Owns `handle`: a POSIX file descriptor or a Windows HANDLE; -1 is none.
  explicit file_lock(intptr_t handle) noexcept : handle_{handle} {}
  ~file_lock();
  file_lock(file_lock&& other) noexcept;
  file_lock& operator=(file_lock&& other) noexcept;
  file_lock(const file_lock&) = delete;
  file_lock& operator=(const file_lock&) = delete;

  /// Whether a lock is held.
  explicit operator bool() const noexcept { return handle_ != -1; }

private:
  intptr_t handle_ = -1; ///< a descriptor or a HANDLE, both fit
};

/// Takes an exclusive flock (Windows: LockFileEx on the whole file) on
/// `lock_file` (created 0600 when missing, never through a symbolic link),
/// waiting at most `timeout`. Tries again with a pause that grows from 1 to
/// 20 ms, so a short hold costs little latency and a long one little CPU.
/// Errors: `ec::lock_failed` when another process holds it past the timeout;
/// a system error when the file cannot be opened.
caf::expected<file_lock> lock_file(const std::filesystem::path& lock_file,
                                   std::chrono::milliseconds timeout);

/// `lock_file` on `<file>.lock`: the lock of a file written atomically.
caf::expected<file_lock> lock_sibling(const std::filesystem::path& file,
                                      std::chrono::milliseconds timeout);

} // namespace vigil
