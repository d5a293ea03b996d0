#pragma once

#include <caf/expected.hpp>
#include <chrono>
#include <functional>

#include "host/paths.hpp"
#include "host/service_manager.hpp"
#include "host/upgrade_marker.hpp"
#include "installer/installer_log.hpp"

namespace vigil {

/// How the upgrade watcher tells time and how long it gives a new version.
struct upgrade_watch_options {
  /// How long the new version has to start, check in and report its version
  /// (SPEC §12: 10 minutes by default; the hive value
  /// `SelfPatch\WatchSeconds` overrides it, see `upgrade_watch_deadline`).
  std::chrono::seconds deadline{600};
  /// At most this much time during which the platform answered the new
  /// version's check-ins busy (429, 5xx) is added to the deadline: the
  /// platform's trouble is not the new version's fault (SPEC §12).
  std::chrono::seconds busy_allowance{24 * 3600};
  /// How often the agent's status file is read.
  std::chrono::milliseconds poll{500};
  /// Unix seconds now.
  std::function<int64_t()> now;
};

/// The watch deadline the hive sets (`HKLM\...\SelfPatch`, DWORD
/// `WatchSeconds`, at least 10), or `fallback`.
std::chrono::seconds upgrade_watch_deadline(const paths& p, std::chrono::seconds fallback);

/// The upgrade watcher (SPEC §12), run by `vigil-setup PatchInstall=TRUE
/// SelfPatch=TRUE` after the new files are in place and the service started,
/// in its own session so it outlives the agent it replaced. The previous
/// version's files stay in `<program files>.previous` until the new version
/// has started, checked in with the platform after `marker.started_at` and
/// reported its version (`agent-status.json`), within the deadline (extended
/// by the time the platform answered its check-ins busy, see
/// `busy_allowance`). Then the
/// previous files go and the marker says `succeeded`. Otherwise the service
/// is stopped, the previous files are put back, the service is started again
/// and the marker says `rolled_back` with the reason, which the previous
/// version reports to the platform. Identity, hive and state are never
/// touched: they live outside the program files. Every step rewrites the
/// marker first, so a watcher killed at any point leaves a marker that says
/// what was being done. Returns the final marker.
caf::expected<upgrade_marker> watch_upgrade(const paths& p, service_manager& service,
                                            installer_log& log, upgrade_marker marker,
                                            const upgrade_watch_options& options);

/// Puts the previous version's files back (`<program files>.previous`) and
/// restarts the service; the marker says `rolled_back` with `reason`.
caf::expected<upgrade_marker> roll_back_upgrade(const paths& p, service_manager& service,
                                                installer_log& log, upgrade_marker marker,
                                                const std::string& reason, int64_t now);

} // namespace vigil
