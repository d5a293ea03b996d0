#pragma once

#include <caf/expected.hpp>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "host/paths.hpp"

namespace vigil {

/// Where one self-upgrade stands (SPEC §12): written atomically (temp, fsync,
/// rename) by whichever process moves it on — the agent's self-patch actor
/// (pending, downloading, staged, refused), vigil-setup's upgrade watcher
/// (installing, watching, succeeded, rolled_back) — so every step is
/// resumable and every process that starts reads where the last one stopped.
/// It is also what the agent reports to the platform at check-in and what the
/// health check shows.
struct upgrade_marker {
  std::string state;      ///< "none", "pending", "downloading", "staged", "installing",
                          ///< "watching", "succeeded", "rolled_back", "refused"
  std::string from;       ///< the version running before
  std::string target;     ///< the version being installed
  std::string reason;     ///< why refused or rolled back: the `ec` name first
  int64_t at = 0;         ///< when `state` was reached, Unix seconds
  int64_t started_at = 0; ///< when the new version was started (watching)
  int64_t deadline = 0;   ///< when the watch gives up and rolls back
  uint64_t serial = 0;    ///< the serial of the metadata of `target`
  int watcher_pid = 0;    ///< the upgrade watcher, while watching

  friend bool operator==(const upgrade_marker&, const upgrade_marker&) = default;
};

/// `<state>/upgrade.json`.
std::filesystem::path upgrade_marker_file(const paths& p);

/// The marker; a missing file is a marker in state "none"; a malformed one is
/// `ec::parse_error` naming the file.
caf::expected<upgrade_marker> load_upgrade_marker(const paths& p);

/// `<Patch>/reference/vigil-setup-<version>.expanded.zst`: the expanded
/// package (installer/payload: expand_package) of the version vigil-setup
/// installed, zstd-compressed; what the self-patch actor rebuilds the next
/// release from a binary patch against (SPEC §12). vigil-setup writes it
/// after each successful install and removes the others.
std::filesystem::path patch_reference_file(const paths& p, std::string_view version);

/// Replaces the marker atomically (mode 0600) and syncs it.
caf::expected<void> save_upgrade_marker(const paths& p, const upgrade_marker& marker);

} // namespace vigil
