#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "host/agent_status.hpp"
#include "host/upgrade_marker.hpp"

namespace vigil::health {

// What vigil-healthcheck observed (SPEC §14), as plain values: gathering fills
// them in (files, /proc, network), evaluation judges them without touching the
// system, so every verdict is unit-tested at fixed times.

/// A failure as observed: its `ec` number and name, and the message.
struct named_error {
  int code = 0;     ///< the `ec` value (stable, SPEC: "they appear in health reports")
  std::string name; ///< the `ec` name ("connection_refused")
  std::string text; ///< the rendered error, naming the server or file

  bool empty() const noexcept { return code == 0 && text.empty(); }
};

/// Check 1: is the agent installed?
struct install_fact {
  bool hive_present = false;   ///< the hive exists and parses
  bool hive_complete = false;  ///< CustomerId, ActivationId, WebServiceUri are set
  bool agent_binary = false;   ///< `<root>/opt/vigil/bin/vigil-agent` exists
  std::string version;         ///< `<root>/opt/vigil/VERSION`
  std::string customer_id, activation_id, host_id, web_service_uri;
  named_error hive_error;      ///< the hive exists but cannot be read
  /// The platform's root key pinned in the hive (`Trust\RootKey`): without
  /// it the agent accepts no manifest, release or order.
  bool trust_root_pinned = false;
  /// Self-protection (SPEC §13) as the hive says: requested by the platform,
  /// and until when an SPFKEY turned it off locally (0: not turned off).
  bool protection_requested = false;
  int64_t protection_off_until = 0;
  /// The kernel offers BPF LSM (`/sys/kernel/security/lsm` names "bpf"):
  /// where blocking, not only repairing, would be possible.
  bool bpf_lsm = false;
  upgrade_marker upgrade;      ///< the last self-upgrade (`<state>/upgrade.json`)
};

/// Check 2: the service.
struct service_fact {
  std::string name = "vigil-agent"; ///< the unit / program name
  std::string kind;                 ///< "systemd" or "supervisor"
  bool running = false;
  int main_pid = 0;                 ///< systemd MainPID or the supervisor's pidfile
  /// A Windows service the service manager still reports running whose
  /// process (this pid) has ended: not running. Wine's service manager never
  /// notices a killed service process; Windows' does, after a moment.
  int ended_pid = 0;
};

/// Check 3: one process of the agent.
struct process_fact {
  int pid = 0;
  std::string role;       ///< "supervisor" or "agent"
  int64_t cpu_ms = 0;     ///< user + system CPU time
  int64_t rss_mb = 0;     ///< VmRSS
  int64_t peak_rss_mb = 0; ///< VmHWM
};

/// Check 4: one certificate source.
struct certificate_fact {
  std::string name;        ///< subject ("CN=Vigil Platform CA") or the source's name
  std::string path;        ///< where it was looked for
  bool installed = false;  ///< present and parsed
  bool pinned = false;     ///< the CA bundle given at setup (`CaBundle=`)
  int64_t not_after = 0;   ///< expiry, Unix seconds (0: not applicable)
  int certificates = 0;    ///< how many certificates the file holds
  named_error error;       ///< unreadable or unparsable
};

/// Check 5: the agent's proxy configuration (hive key `Proxy`).
struct proxy_fact {
  std::vector<std::string> proxy_urls;
  std::string pac_file_path;
  bool direct_attempt_enabled = true;
  bool system_proxy_enabled = false;
  bool wpad_enabled = false;
  bool credentials = false; ///< a username (and sealed password) is set
  named_error error;        ///< the settings could not be read (e.g. the password)
};

/// One HTTP(S) request made by a probe (checks 6 and 9).
struct probe_fact {
  std::string route = "direct"; ///< "direct" or the proxy URL (no credentials)
  std::string url;              ///< what was requested
  bool succeeded = false;       ///< a response arrived (and for /status: HTTP 200)
  int http_status = 0;
  double seconds = 0;           ///< time taken
  named_error error;            ///< why it failed
};

/// Check 9: patch connectivity.
struct patch_fact {
  bool configured = false;      ///< a URL to try was given
  std::string url;
  std::string expected_sha256;  ///< lower-case hex; empty: not verified
  std::string actual_sha256;    ///< of what was downloaded
  std::vector<probe_fact> attempts; ///< in order; the last one decides
};

/// Everything gathered, at `now`.
struct facts {
  int64_t now = 0;                   ///< Unix seconds
  install_fact install;
  std::optional<service_fact> service;
  std::vector<process_fact> processes;
  std::vector<certificate_fact> certificates;
  proxy_fact proxy;
  std::vector<probe_fact> connectivity; ///< `/status`: direct and through each proxy
  std::optional<agent_status> status;   ///< what the agent recorded
  named_error status_error;             ///< why `status` is missing
  bool status_missing = false;          ///< the agent never wrote one
  patch_fact patch;
  int64_t free_disk_mb = -1;            ///< on the program-data file system
  int64_t program_data_mb = 0;
  int64_t program_files_mb = 0;
  int64_t scan_grace_s = -1;            ///< `--scan-grace`; -1: the default
  std::vector<named_error> tool_errors; ///< the tool itself failed (Tool Error)
};

} // namespace vigil::health
