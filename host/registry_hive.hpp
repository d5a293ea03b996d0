#pragma once

#include <caf/expected.hpp>
#include <chrono>
#include <functional>
#include <string>

#include "host/hive.hpp"
#include "host/hive_store.hpp"

// The settings of SPEC §2 in the Windows registry itself (SPEC §18): the same
// `load` / `update` as hive_file (host/hive_file.hpp), so the code above the
// seam reads and changes a `hive` whichever store holds it.

namespace vigil {

/// Where a registry_hive keeps the tree that callers see as `agent_key`.
struct registry_mount {
  /// The registry root the subkey is under.
  enum class root_key { local_machine, current_user };

  root_key root = root_key::local_machine;
  /// The key under `root` holding what the hive calls `agent_key`.
  std::string subkey = "SOFTWARE\\Vigil\\VigilAgent";

  /// The agent's real key, HKEY_LOCAL_MACHINE\SOFTWARE\Vigil\VigilAgent.
  static registry_mount agent() { return {}; }

  /// A private key of the current user (e.g. `Software\VigilTests\<unique>`),
  /// so a test needs no administrator and never shares keys with another.
  static registry_mount user(std::string subkey) {
    return {root_key::current_user, std::move(subkey)};
  }

  /// The mount as a full key path, e.g. `HKEY_CURRENT_USER\Software\VigilTests\1`.
  std::string display() const;
};

/// The hive stored in the registry, in its 64-bit view (KEY_WOW64_64KEY), so
/// a 32-bit tool and the 64-bit agent see one tree. Callers see keys as under
/// `agent_key` whatever the mount; a change that puts a key elsewhere is
/// refused. Every value type round-trips (REG_SZ, REG_EXPAND_SZ, REG_MULTI_SZ
/// and text as UTF-8; REG_DWORD, REG_QWORD; any other type as its bytes).
///
/// Writers serialize on a named mutex (one per mount), so concurrent
/// read-modify-write cycles never lose an update; each writes only the
/// difference (values set or removed, keys added or removed). The registry
/// makes each single value write atomic, not a whole update: a writer killed
/// mid-update leaves the values it already wrote, never a torn value.
class registry_hive : public hive_store {
public:
  /// The hive at `mount`. Nothing is touched until a member is called.
  explicit registry_hive(registry_mount mount = registry_mount::agent(),
                         std::chrono::milliseconds lock_timeout = std::chrono::seconds{30});

  /// The tree as stored now; a missing mount key is an empty hive. A value
  /// whose data does not fit its type (a 3-byte REG_DWORD) is
  /// `ec::corruption` naming it; access failures are system errors naming
  /// the key.
  caf::expected<hive> load() const override;

  /// Takes the mutex, reads the tree, applies `fn` and writes what differs.
  /// Returns the hive as written (or as found, when unchanged). Errors:
  /// `ec::lock_failed` when another writer holds the mutex past the timeout,
  /// `ec::invalid_argument` for a key outside `agent_key`, system errors
  /// naming the key or value that could not be written.
  caf::expected<hive> update(const change& fn) override;

  /// The key, e.g. `HKEY_LOCAL_MACHINE\SOFTWARE\Vigil\VigilAgent`.
  std::string location() const override { return mount_.display(); }
  /// Removes the key with its subkeys (under the writers' lock), and then
  /// its parent `SOFTWARE\Vigil` of the machine's hive when nothing else is
  /// in it.
  caf::expected<void> erase() override;
  /// None: the registry is no file.
  std::vector<std::filesystem::path> files() const override { return {}; }

  const registry_mount& mount() const noexcept { return mount_; }

  /// The named mutex writers of `mount` serialize on.
  static std::string mutex_name(const registry_mount& mount);

private:
  registry_mount mount_;
  std::chrono::milliseconds lock_timeout_;
};

} // namespace vigil
