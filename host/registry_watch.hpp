#pragma once

#include <caf/expected.hpp>
#include <chrono>
#include <memory>
#include <vector>

#include "host/hive.hpp"
#include "host/hive_diff.hpp"
#include "host/hive_store.hpp"
#include "host/registry_hive.hpp"

namespace vigil {

/// Watches the registry tree of a registry_hive (Windows'
/// RegNotifyChangeKeyValue on the mount key and its subtree, names and values)
/// and reports what other writers changed: hive_watch's shape (host/hive_watch.hpp)
/// for the registry_watch actor's thread on Windows.
class registry_watch : public hive_watcher {
public:
  /// Starts watching `mount` (its key is created when missing) and reads its
  /// current state as the baseline for the first `poll`.
  static caf::expected<registry_watch> open(registry_mount mount);

  registry_watch(registry_watch&& other) noexcept;
  registry_watch& operator=(registry_watch&& other) noexcept;
  ~registry_watch() override;

  /// Waits up to `timeout` (negative: without a limit) for a change under the
  /// key or an `interrupt`, then returns what changed since the last
  /// successful poll (empty when nothing did). A load failure is an error;
  /// the last good state stays the baseline. The watch holds the mount key
  /// open: when someone deletes that key itself, polls fail (the registry
  /// reports the key deleted) and the watcher must `open` again.
  caf::expected<std::vector<hive_change>> poll(std::chrono::milliseconds timeout) override;

  /// Ends a `poll` waiting in another thread, and every later one, at once.
  /// Thread-safe.
  void interrupt() noexcept override;

  /// Whether `interrupt` was called.
  bool interrupted() const noexcept override;

  /// The hive as of the last successful poll.
  const vigil::hive& current() const noexcept override;

private:
  struct impl;
  explicit registry_watch(std::unique_ptr<impl> self);

  std::unique_ptr<impl> self_;
};

} // namespace vigil
