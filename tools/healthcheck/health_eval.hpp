#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tools/healthcheck/health_facts.hpp"

namespace vigil::health {

/// The overall verdict (SPEC §14), most severe first in evaluation order.
enum class overall {
  good,            ///< everything works
  poor,            ///< some modules healthy, not all
  bad,             ///< communication failing, service down, or no module healthy
  not_installed,   ///< no agent on this host
  not_provisioned, ///< installed, but the platform never accepted it
  tool_error,      ///< the tool itself could not judge (unreadable agent state)
};

/// "Good", "Poor", "Bad", "Not Installed", "Not Provisioned", "Tool Error".
std::string_view to_string(overall o) noexcept;

/// 0 Good, 1 Poor, 2 Bad, 3 Not Installed, 4 Not Provisioned, 5 Tool Error.
int exit_code_of(overall o) noexcept;

/// Codes of the conditions the tool itself names (the ones that come from a
/// failed operation use that error's `ec` number instead, below 1000).
enum class condition : int {
  service_not_running = 1001,
  not_provisioned = 1002,
  disk_nearly_full = 1003,
  blackout_in_force = 1004,
  scan_overdue = 1005,
  upload_stuck = 1006,
  no_proxy_configured = 1007,
  patch_hash_mismatch = 1008,
  checkin_overdue = 1009,
  ca_bundle_missing = 1010,
  certificate_expiring = 1011,
  agent_state_unreadable = 1012,
  patch_not_configured = 1013,
  checkin_failed = 1014,
  module_error = 1015,
  not_installed = 1016,
  agent_never_ran = 1017,
  release_metadata_expired = 1018,
  state_rebuilt = 1019,
};

/// The snake_case name of a condition ("scan_overdue").
std::string_view to_string(condition c) noexcept;

/// One entry of `ErrorMessages`.
struct error_entry {
  int code = 0;          ///< `ErrorCode`
  std::string name;      ///< `ErrorName`: the `ec` or condition name
  std::string severity;  ///< INFO, WARNING, ERROR or CRITICAL
  std::string description;              ///< `ErrorDescription`
  std::vector<std::string> diagnostics; ///< `DiagnosticChecks`: what the admin does
};

/// One module's line of the report.
struct module_verdict {
  std::string name;
  std::string type;         ///< "Scan based" or "Realtime"
  bool enabled = false;
  std::string state;        ///< "Ready for Scan", "Scanning", ...
  int64_t last_scan = 0;
  int64_t scan_interval = 0;
  int64_t next_scan = 0;
  int64_t scan_deadline = 0; ///< the last scan (or activation) + interval + grace
  int64_t last_upload = 0;
  uint64_t pending_delta_seq = 0;
  bool healthy = false;
  std::string health;       ///< "Vulnerability Health Good"
  std::string reason;       ///< why it is unhealthy; empty when healthy
};

/// The result of evaluating `facts`.
struct verdict {
  overall status = overall::tool_error;
  bool installed = false;
  bool provisioned = false;
  bool service_ok = false;
  bool communication_ok = false;
  int64_t checkin_interval = 0; ///< the interval judged against
  std::vector<module_verdict> modules; ///< scan modules in SPEC order, then Patch Management
  std::vector<error_entry> errors;
};

/// The grace a scan gets past its interval before its module counts as
/// unhealthy when `--scan-grace` is not given: 12 intervals, at most 48 h
/// (the guide's deadline for the 4-hour default: next scan + 2 days).
int64_t default_scan_grace(int64_t interval_s) noexcept;

/// Below this many MB free on the program-data file system: a WARNING.
inline constexpr int64_t low_disk_mb = 500;
/// Below this: CRITICAL (the agent cannot keep its deltas).
inline constexpr int64_t critical_disk_mb = 100;
/// A pinned certificate expiring within this many seconds: a WARNING.
inline constexpr int64_t expiry_warning_s = 30 * 24 * 3600;

/// Judges `f` (no system access): each check's result, each module's health,
/// the error entries with what to do about each, and the overall status.
verdict evaluate(const facts& f);

/// What an administrator checks for a failure named `error_name` (an `ec`
/// name) on the way to `target`; a generic list for unknown names.
std::vector<std::string> diagnostics_for(std::string_view error_name, std::string_view target);

} // namespace vigil::health
