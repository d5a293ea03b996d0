#pragma once

#include <chrono>
#include <cstddef>
#include <functional>

#include <caf/expected.hpp>

#include "host/paths.hpp"
#include "host/registry_hive.hpp"
#include "protocol/manifest.hpp"
#include "scan/snapshot.hpp"

namespace vigil::scan {

/// Everything a collector may depend on besides its spec. Collectors read only
/// under `root_paths->root()`, so a test root never touches the real system.
struct collect_context {
  /// The root every path is read under (`/` in production). Must not be null.
  const paths* root_paths = nullptr;
  /// The default and the ceiling of a `command` collector's `timeout_ms`.
  std::chrono::milliseconds command_timeout{std::chrono::seconds{60}};
  /// The default and the ceiling of a `command` collector's `output_limit`, in
  /// bytes: a command's output beyond it is read and discarded, never kept.
  size_t output_cap = 1024 * 1024;
  /// Called between items and between chunks of long work (hashing a large
  /// file), so the caller can pause to honour a CPU limit. May be empty.
  std::function<void()> pace;
  /// Told the CPU time of every program a collector ran (`command`), which
  /// the CPU limit counts with the scan thread's own. May be empty.
  std::function<void(std::chrono::nanoseconds)> charge_cpu;
  /// Windows: the key that stands for HKEY_LOCAL_MACHINE for the collectors
  /// that read the registry (`registry`, `packages`), as `root_paths` stands
  /// for `/`: the machine's own in production, a private key of the current
  /// user in tests. Unused on POSIX, where the registry is the hive file
  /// under the root.
  registry_mount machine_registry{registry_mount::root_key::local_machine, ""};
};

/// Runs the collector `spec` and appends its rows to `out` (unsorted: call
/// `finalize` once the whole manifest ran). Dispatches on `spec.type`: `os`,
/// `network`, `packages`, `file`, `dir`, `sysctl`, `services`,
/// `listening_ports`, `users`, `kernel_modules`, `command`, `registry`; on
/// Windows all but `sysctl`, `kernel_modules` and `command` (unknown types
/// there: scan/windows/collector_table.cpp says why).
///
/// A collector problem never fails the scan: an unknown type or an unusable
/// spec appends one row `error/<type>/<digest>` (digest: the first 12 hex
/// digits of the SHA-256 of the spec's canonical JSON, so the key is stable and
/// independent of the collector's position in the manifest) whose value is
/// `{"error": "..."}`; an item that cannot be read (missing file, FIFO, symlink
/// loop, malformed record) appends a row for that item carrying `"error"`.
/// Fails only when `ctx` itself is unusable (no root).
caf::expected<void> collect(const protocol::collector& spec, const collect_context& ctx,
                            snapshot& out);

} // namespace vigil::scan
