#pragma once

#include <caf/expected.hpp>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <utility>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "host/paths.hpp"

namespace vigil {

// The running agent keeps its RocksDB store locked, so `vigil-healthcheck`
// (SPEC §14) cannot read it. Instead the agent records what its health depends
// on in `<state>/agent-status.json`, which any process reads without locking:
// writers replace it atomically under an flock on `agent-status.json.lock`.
//
// Who writes which field (each writer changes only its own fields):
//   agent_main   pid, started_at, version, provisioned (from the stored token);
//                resets every module's `state` to idle at start
//   identity     provisioned (true once the platform accepted the HostID)
//   checkin      provisioned, last_checkin, last_checkin_error{,_code,_at},
//                checkin_interval_s, config_id, profile_etag
//   module       modules[]: activated, activated_since, scan_interval_s,
//                state (idle/scanning), last_scan_start, last_scan_end,
//                last_error{,_code}
//   delta        modules[]: state pending_upload, pending_delta_seq
//   uploader     modules[]: last_upload_ack, pending_delta_seq (0 once acked),
//                state idle
//   transport    last_route, last_transport_error{,_code,_at}
//   selfpatch    release_metadata_{version,expires_at,checked_at,expired}
//   blackout     in_blackout, blackout_until; modules[]: state
//                waiting_for_blackout
// Times are Unix seconds; 0 means "never" / "unknown".

/// What a module is doing now.
enum class module_run_state {
  idle,                 ///< waiting for its next scan
  scanning,             ///< a scan runs
  pending_upload,       ///< a delta waits for (or is in) upload
  waiting_for_blackout, ///< a scan or upload waits for a blackout window to end
};

/// "idle", "scanning", "pending_upload", "waiting_for_blackout".
std::string_view to_string(module_run_state s) noexcept;

/// The state named `text`, or nothing.
std::optional<module_run_state> parse_module_run_state(std::string_view text) noexcept;

/// One module as the agent last recorded it.
struct module_status {
  std::string name;               ///< "Inventory", "Vulnerability", ...
  bool activated = false;         ///< the profile activates it (Inventory always)
  int64_t activated_since = 0;    ///< when this agent run first saw it activated
  module_run_state state = module_run_state::idle;
  int64_t last_scan_start = 0;    ///< the latest scan's start
  int64_t last_scan_end = 0;      ///< the latest completed scan's end
  int64_t last_upload_ack = 0;    ///< when the platform last acknowledged a delta
  uint64_t pending_delta_seq = 0; ///< the delta waiting for upload; 0: none
  int64_t scan_interval_s = 0;    ///< the profile's interval
  std::string last_error;         ///< the latest scan or upload failure; empty: none
  std::string last_error_code;    ///< its `ec` name ("io_error")

  friend bool operator==(const module_status&, const module_status&) = default;
};

/// A stored value the agent found corrupt and rebuilt (issue 15, defect 9).
struct rebuilt_state {
  std::string what; ///< what was corrupt and what was done, in one line
  int64_t at = 0;   ///< when

  friend bool operator==(const rebuilt_state&, const rebuilt_state&) = default;
};

/// Everything `vigil-healthcheck` learns from the running agent.
struct agent_status {
  int pid = 0;                    ///< the agent process (`--foreground`)
  int64_t started_at = 0;         ///< when it started
  std::string version;            ///< its version
  bool provisioned = false;       ///< the platform accepted the HostID
  int64_t last_checkin = 0;       ///< the latest successful check-in ("CAPI")
  /// Successful check-ins by this process (since `started_at`): what the
  /// upgrade watcher waits for. `last_checkin` may be the previous run's,
  /// from the same second the new version started.
  uint64_t checkins_since_start = 0;
  std::string last_checkin_error; ///< why the latest check-in failed; empty after a success
  std::string last_checkin_error_code; ///< its `ec` name ("connection_refused")
  int64_t last_checkin_error_at = 0;   ///< when it failed
  int64_t checkin_interval_s = 0; ///< the profile's `CapiIntervalSeconds`
  std::string config_id;          ///< the profile's identity
  std::string profile_etag;       ///< the profile's version
  /// The signed release metadata the platform last offered (SPEC §12, §14):
  /// its version and expiry, when the agent checked it, and whether it had
  /// expired then (the upgrade is refused, the agent runs on; the health
  /// check reports it). Cleared once the platform offers nothing newer.
  std::string release_metadata_version;
  int64_t release_metadata_expires_at = 0;
  int64_t release_metadata_checked_at = 0;
  bool release_metadata_expired = false;
  bool in_blackout = false;       ///< a network blackout window is in force
  int64_t blackout_until = 0;     ///< when it ends
  std::vector<module_status> modules; ///< in the order first recorded
  std::string last_route;         ///< "direct" or the proxy URL of the latest response
  std::string last_transport_error;      ///< the latest transport failure
  std::string last_transport_error_code; ///< its `ec` name
  int64_t last_transport_error_at = 0;   ///< when it happened
  /// Self-protection (SPEC §13), written by the protector actor: whether it
  /// is on, until when a local key turned it off (0: not turned off), how
  /// file changes are watched ("fanotify", "inotify", "" when off), the latest
  /// tamper event in one line, its time, and how many were seen in all.
  bool self_protection = false;
  int64_t self_protection_off_until = 0;
  std::string tamper_watch;
  std::string last_tamper;
  int64_t last_tamper_at = 0;
  uint64_t tamper_events = 0;
  /// Orders received from the platform and not yet carried out (orders actor).
  uint64_t orders_pending = 0;
  /// Corrupt stored values rebuilt at start, newest last (at most
  /// `max_rebuilt_state`; older entries drop off).
  std::vector<rebuilt_state> rebuilt;
  static constexpr size_t max_rebuilt_state = 16;

  /// Appends `what` at `at` to `rebuilt`, dropping the oldest beyond the cap.
  void note_rebuilt(std::string what, int64_t at);

  /// The module named `name`, added (idle, not activated) when absent.
  module_status& module(std::string_view name);
  /// The module named `name`, or null.
  const module_status* find_module(std::string_view name) const noexcept;

  friend bool operator==(const agent_status&, const agent_status&) = default;
};

/// `<root>/var/opt/vigil/state/agent-status.json`.
std::filesystem::path agent_status_file(const paths& p);

/// The status as the JSON text stored in the file (stable field names, so
/// the agent and the tool of another version still understand each other).
std::string to_json_text(const agent_status& status);

/// A status parsed from `text`; fields unknown to this version are ignored,
/// missing ones keep their defaults. Malformed text is `ec::parse_error`
/// naming `source` (the file).
caf::expected<agent_status> parse_agent_status(std::string_view text, std::string_view source);

/// The status as stored now, read without any lock (the file is only ever
/// replaced whole). A missing file is `ec::not_found`, an unreadable one
/// `ec::permission_denied`/`ec::io_error`, a malformed one `ec::parse_error`,
/// each naming the file.
caf::expected<agent_status> load_agent_status(const paths& p);

/// Read-modify-write under an exclusive flock on `agent-status.json.lock`:
/// reads the current status (missing or malformed: starts from an empty one,
/// since the agent re-records everything as it goes), applies `change`, and
/// replaces the file atomically when the result differs. Safe between threads
/// and processes; never leaves a torn file. Returns the status as stored.
caf::expected<agent_status> update_agent_status(const paths& p,
                                                const std::function<void(agent_status&)>& change);

/// The agent's status in memory: what every actor records, applied at once
/// under a mutex held only while `change` runs (no I/O), and versioned so the
/// status actor (actors/status) knows when the file is behind. Thread-safe.
class status_board {
public:
  /// A board starting from `initial` (normally the file the last run left).
  explicit status_board(agent_status initial = {});

  /// Applies `change`; whether it altered the status.
  bool apply(const std::function<void(agent_status&)>& change);

  /// The status now and its version (bumped by every altering `apply`).
  std::pair<agent_status, uint64_t> snapshot() const;

private:
  mutable std::mutex mutex_;
  agent_status status_;
  uint64_t version_ = 0;
};

/// Where `record_agent_status` goes: `board`, and after each change that
/// altered it, `changed()` — which must not block (the agent sends a message
/// to its status actor, which writes the file off the scheduler). A null
/// board turns recording off again. Until set, recording does nothing, so
/// actors under test write no status file.
void set_agent_status_sink(std::shared_ptr<status_board> board, std::function<void()> changed);

/// Applies `change` to the board given to `set_agent_status_sink`, in memory;
/// never blocks on a file or a lock, never throws. Nothing without a sink.
void record_agent_status(const std::function<void(agent_status&)>& change);

/// The current Unix time in seconds, as the status records it.
int64_t unix_now() noexcept;

} // namespace vigil
