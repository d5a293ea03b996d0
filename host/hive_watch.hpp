#pragma once

#include <caf/expected.hpp>
#include <chrono>
#include <filesystem>
#include <vector>

#include "host/hive.hpp"
#include "host/hive_diff.hpp"
#include "host/hive_store.hpp"

namespace vigil {

/// Watches the hive file with inotify and reports which keys and values other
/// processes changed. It watches the directory (writers replace the file by
/// rename, so the file's own inode changes), so it works before the hive
/// exists too. A plain class: the registry_watch actor's thread waits on it.
class hive_watch : public hive_watcher {
public:
  /// Starts watching `hive_file` (its directory is created when missing) and
  /// reads its current state as the baseline for the first `poll`.
  static caf::expected<hive_watch> open(std::filesystem::path hive_file);

  hive_watch(hive_watch&& other) noexcept;
  hive_watch& operator=(hive_watch&& other) noexcept;
  ~hive_watch() override;

  /// The inotify descriptor, readable when something may have changed.
  int native_handle() const noexcept { return fd_; }

  /// Waits up to `timeout` (negative: without a limit) for a write to the
  /// hive or an `interrupt`, then returns what changed since the last
  /// successful poll (empty when nothing did). A malformed hive is an error;
  /// the last good state stays the baseline.
  caf::expected<std::vector<hive_change>> poll(std::chrono::milliseconds timeout) override;

  /// Ends a `poll` waiting in another thread, and every later one, at once:
  /// how a watcher blocked without a timeout is stopped. Thread-safe.
  void interrupt() noexcept override;

  /// Whether `interrupt` was called.
  bool interrupted() const noexcept override;

  /// The hive as of the last successful poll.
  const vigil::hive& current() const noexcept override { return current_; }

private:
  hive_watch(int fd, int wake_fd, std::filesystem::path file, vigil::hive initial);

  int fd_ = -1;
  int wake_fd_ = -1; ///< an eventfd: readable once interrupted
  std::filesystem::path file_;
  vigil::hive current_;
};

} // namespace vigil
