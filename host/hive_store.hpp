#pragma once

#include <caf/expected.hpp>
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "host/hive.hpp"
#include "host/hive_diff.hpp"

// Where the settings of SPEC §2 live, behind one interface (SPEC §18): the
// hive file on Linux (host/hive_file.hpp), the registry itself on Windows
// (host/registry_hive.hpp). The agent, its tools and the installer read and
// change settings through a hive_store and watch them through a hive_watcher,
// so none of them knows which system it runs on.

namespace vigil {

class paths;

/// A place the hive is stored: readers get whole, consistent trees; writers
/// serialize, so concurrent read-modify-write cycles never lose an update.
class hive_store {
public:
  /// A change applied under the writers' lock; returning an error aborts it.
  using change = std::function<caf::expected<void>(hive&)>;

  virtual ~hive_store();

  /// The tree as stored now; nothing stored yet is an empty hive. Malformed
  /// content is an error naming where it is.
  virtual caf::expected<hive> load() const = 0;

  /// Takes the writers' lock, reads the tree, applies `fn` and stores what
  /// differs. Returns the hive as stored (or as found, when unchanged).
  virtual caf::expected<hive> update(const change& fn) = 0;

  /// Where it is, for messages: the file's path or the registry key.
  virtual std::string location() const = 0;
  /// Removes the stored hive entirely, so that it loads empty (uninstall with
  /// Force=True, the undo of a fresh install): the file and its lock file; the
  /// registry key with its subkeys. Nothing stored is success.
  virtual caf::expected<void> erase() = 0;
  /// The files on disk that hold the hive (the `.reg` file and its lock file),
  /// for the installer: their directory is the identity's, made 0700, and
  /// they are made 0600 (issue 15, defect 5). None for the registry, whose
  /// key under HKLM\SOFTWARE only administrators and the system may change.
  virtual std::vector<std::filesystem::path> files() const = 0;
};

/// Watches a hive_store for changes made by other processes (inotify on the
/// hive file's directory, RegNotifyChangeKeyValue on the registry key): what
/// the registry_watch actor's thread waits on.
class hive_watcher {
public:
  virtual ~hive_watcher();

  /// Waits up to `timeout` (negative: without a limit) for a change or an
  /// `interrupt`, then returns what changed since the last successful poll
  /// (empty when nothing did). A load failure is an error; the last good state
  /// stays the baseline.
  virtual caf::expected<std::vector<hive_change>> poll(std::chrono::milliseconds timeout) = 0;

  /// Ends a `poll` waiting in another thread, and every later one, at once.
  /// Thread-safe.
  virtual void interrupt() noexcept = 0;

  /// Whether `interrupt` was called.
  virtual bool interrupted() const noexcept = 0;

  /// The hive as of the last successful poll.
  virtual const hive& current() const noexcept = 0;
};

/// The agent's settings under `p`: the hive file `p.hive_file()` on POSIX;
/// on Windows the registry key HKLM\SOFTWARE\Vigil\VigilAgent at the system
/// root, and under a test root a key of the current user named after the root
/// (`registry_mount_for`), so tests never touch the machine's settings.
std::unique_ptr<hive_store> open_hive_store(const paths& p);

/// Starts watching the store `open_hive_store(p)` opens.
caf::expected<std::unique_ptr<hive_watcher>> open_hive_watcher(const paths& p);

} // namespace vigil
