#include "tools/healthcheck/health_eval.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <ctime>

#include "tools/healthcheck/health_time.hpp"

namespace vigil::health {

namespace {

constexpr std::array<std::string_view, 5> scan_modules{"Inventory", "Vulnerability",
                                                       "PolicyCompliance", "UDC", "SCA"};
constexpr int64_t default_scan_interval_s = 4 * 3600;
constexpr int64_t default_checkin_interval_s = 900;
/// Slack on top of two check-in intervals before check-ins count as failing.
constexpr int64_t checkin_slack_s = 60;

const char* const no_steps = "Tool does not contain diagnostic steps for this error";

void add(verdict& v, int code, std::string name, std::string severity, std::string description,
         std::vector<std::string> diagnostics) {
  if (diagnostics.empty())
    diagnostics.push_back(no_steps);
  v.errors.push_back({code, std::move(name), std::move(severity), std::move(description),
                      std::move(diagnostics)});
}

void add(verdict& v, condition c, std::string severity, std::string description,
         std::vector<std::string> diagnostics) {
  add(v, static_cast<int>(c), std::string{to_string(c)}, std::move(severity),
      std::move(description), std::move(diagnostics));
}

std::string state_text(module_run_state s) {
  switch (s) {
    case module_run_state::idle: return "Ready for Scan";
    case module_run_state::scanning: return "Scanning";
    case module_run_state::pending_upload: return "Pending Upload";
    case module_run_state::waiting_for_blackout: return "Waiting for Blackout";
  }
  return "Unknown";
}

std::string route_text(const probe_fact& p) {
  return p.route == "direct" ? std::string{"Direct Connection"} : "Proxy " + p.route;
}

std::string on_demand_hint(std::string_view module) {
  return "Start a scan now: vigil-reg add \"HKLM\\SOFTWARE\\Vigil\\VigilAgent\\ScanOnDemand\\"
         + std::string{module} + "\" /v ScanOnDemand /t REG_DWORD /d 1 /f";
}

void check_install(const facts& f, verdict& v) {
  v.installed = f.install.agent_binary && (f.install.hive_complete || !f.install.hive_error.empty());
  if (v.installed)
    return;
  std::string missing = !f.install.agent_binary ? "the agent program (opt/vigil/bin/vigil-agent)"
                                                : "the hive values CustomerId, ActivationId "
                                                  "and WebServiceUri";
  add(v, condition::not_installed, "CRITICAL", "The Vigil agent is not installed: " + missing
                                                 + " missing",
      {"Install the agent: vigil-setup CustomerId={...} ActivationId={...} WebServiceUri=URL",
       "Check CloudAgentInstaller.log for a failed or rolled-back installation"});
}

void check_tool(const facts& f, verdict& v) {
  for (auto& e : f.tool_errors)
    add(v, e.code, e.name, "CRITICAL", "The health check could not complete: " + e.text,
        {"Run vigil-healthcheck as root", "Check the file named above is readable"});
  if (!f.install.hive_error.empty())
    add(v, f.install.hive_error.code, f.install.hive_error.name, "CRITICAL",
        "The hive cannot be read: " + f.install.hive_error.text,
        {"Fix the line named above with vigil-reg or restore the hive from a backup",
         "vigil-reg query \"HKLM\\SOFTWARE\\Vigil\\VigilAgent\" /s shows what parses"});
  if (!f.status && !f.status_missing)
    add(v, condition::agent_state_unreadable, "CRITICAL",
        "The agent's state cannot be read: " + f.status_error.text
          + (f.status_error.name.empty() ? "" : " (" + f.status_error.name + ")"),
        {"Restart the agent service: it rewrites agent-status.json as it works",
         "Check the state directory (var/opt/vigil/state) is not full or damaged"});
}

void check_service(const facts& f, verdict& v) {
  v.service_ok = f.service && f.service->running;
  if (v.service_ok)
    return;
  auto kind = f.service ? f.service->kind : std::string{"unknown"};
  auto ended = f.service && f.service->ended_pid > 0
                 ? ": the service manager still reports it running, but its process "
                     + std::to_string(f.service->ended_pid) + " has ended"
                 : std::string{};
  add(v, condition::service_not_running, "CRITICAL",
      "The vigil-agent service is not running (" + kind + ")" + ended,
      {kind == "systemd"           ? "Start it: systemctl start vigil-agent; see journalctl -u vigil-agent"
       : kind == "windows-service" ? "Start it: sc start VigilAgent (or from services.msc)"
                                   : "Start it: vigil-agent (it detaches and supervises itself)",
       "Check Agent.log in the Log directory for why it stopped"});
}

void check_disk(const facts& f, verdict& v) {
  if (f.free_disk_mb < 0 || f.free_disk_mb >= low_disk_mb)
    return;
  bool critical = f.free_disk_mb < critical_disk_mb;
  add(v, condition::disk_nearly_full, critical ? "CRITICAL" : "WARNING",
      "Only " + std::to_string(f.free_disk_mb) + " MB free on the file system of the program data",
      {"Free disk space on the file system holding var/opt/vigil",
       "Scans wait and deltas cannot be kept while the disk is full"});
}

void check_certificates(const facts& f, verdict& v) {
  bool pinned_seen = false;
  for (auto& c : f.certificates) {
    if (c.pinned)
      pinned_seen = pinned_seen || c.installed;
    if (!c.error.empty()) {
      add(v, c.error.code, c.error.name, "ERROR", c.path + ": " + c.error.text,
          {"Replace " + c.path + " with the platform's CA certificate (PEM)"});
      continue;
    }
    if (!c.installed || c.not_after == 0)
      continue;
    if (c.not_after <= f.now)
      add(v, 19, "certificate_expired", "CRITICAL",
          "Certificate " + c.name + " in " + c.path + " expired on " + format_time(c.not_after),
          diagnostics_for("certificate_expired", c.name));
    else if (c.not_after - f.now < expiry_warning_s)
      add(v, condition::certificate_expiring, "WARNING",
          "Certificate " + c.name + " in " + c.path + " expires on " + format_time(c.not_after),
          {"Renew the certificate before it expires and replace " + c.path});
  }
  if (!pinned_seen && v.installed)
    add(v, condition::ca_bundle_missing, "INFO",
        "No CA bundle was given at setup (state/ca-bundle.pem); only the system trust store "
        "is used",
        {"If the platform uses a private CA, install it into the system trust store or "
         "reinstall with CaBundle=PATH"});
}

void check_proxy(const facts& f, verdict& v) {
  if (!f.proxy.error.empty())
    add(v, f.proxy.error.code, f.proxy.error.name, "ERROR",
        "The proxy settings cannot be used: " + f.proxy.error.text,
        {"Set them again with vigil-proxy /u URL /n USER /p PASSWORD",
         "A hive copied from another machine cannot decrypt the proxy password"});
  if (f.proxy.proxy_urls.empty() && f.proxy.pac_file_path.empty())
    add(v, condition::no_proxy_configured, "INFO", "No Proxy set hence skipping proxy test", {});
}

void check_connectivity(const facts& f, verdict& v, bool blackout) {
  bool any_ok = false;
  for (auto& p : f.connectivity) {
    if (p.succeeded) {
      any_ok = true;
      continue;
    }
    auto name = p.error.name.empty() ? std::string{"network_error"} : p.error.name;
    add(v, p.error.code, name, "CRITICAL",
        "Connection to the platform [" + route_text(p) + "] failed for " + p.url + " ("
          + name + "): " + p.error.text,
        diagnostics_for(name, p.url));
  }
  bool probes_ok = f.connectivity.empty() || any_ok;
  // Agent communication (check 7): check-ins must keep coming.
  bool checkins_ok = true;
  if (f.status) {
    auto& s = *f.status;
    v.checkin_interval = s.checkin_interval_s > 0 ? s.checkin_interval_s : default_checkin_interval_s;
    auto since = std::max(s.last_checkin, s.started_at);
    bool overdue = since > 0 && f.now > since + 2 * v.checkin_interval + checkin_slack_s;
    if (!s.last_checkin_error.empty() && s.last_checkin_error_at >= s.last_checkin)
      add(v, condition::checkin_failed, overdue ? "CRITICAL" : "WARNING",
          "The latest check-in failed at " + format_time(s.last_checkin_error_at) + " ("
            + s.last_checkin_error_code + "): " + s.last_checkin_error,
          diagnostics_for(s.last_checkin_error_code, f.install.web_service_uri));
    if (overdue && !blackout) {
      checkins_ok = false;
      add(v, condition::checkin_overdue, "CRITICAL",
          "No check-in since " + (s.last_checkin ? format_time(s.last_checkin) : "the agent started")
            + " (interval " + std::to_string(v.checkin_interval) + " s)",
          {"Check Config.log and Network.log in the Log directory",
           "Check connectivity to " + f.install.web_service_uri});
    }
  }
  v.communication_ok = blackout || (probes_ok && checkins_ok);
}

/// Corrupt stored values the agent rebuilt in the last week (issue 15,
/// defect 9): each a WARNING that does not change the verdict (the agent
/// recovered), but says what a disk or a restore did to the host.
void check_rebuilt_state(const facts& f, verdict& v) {
  if (!f.status)
    return;
  constexpr int64_t shown_for_s = 7 * 24 * 3600;
  for (auto& r : f.status->rebuilt)
    if (r.at + shown_for_s >= f.now)
      add(v, condition::state_rebuilt, "WARNING",
          "At " + format_time(r.at) + " the agent found corrupt stored state and rebuilt it: "
            + r.what,
          {"Check the disk under the agent's state directory (dmesg, smartctl) if this repeats",
           "See Agent.log in the Log directory (\"corrupt stored state\")"});
}

/// Self-patching (SPEC §12): the release metadata the platform offers had
/// expired when the agent last checked it. The agent refuses that upgrade and
/// runs on; the host is Poor until the platform signs the release again.
bool check_release_metadata(const facts& f, verdict& v) {
  if (!f.status || !f.status->release_metadata_expired)
    return false;
  auto& s = *f.status;
  add(v, condition::release_metadata_expired, "WARNING",
      "The release metadata the platform offers for " + s.release_metadata_version
        + " expired at " + format_time(s.release_metadata_expires_at) + " (checked at "
        + format_time(s.release_metadata_checked_at) + "): the upgrade is refused "
        "(metadata_expired) and the agent runs on "
        + (f.install.version.empty() ? std::string{"its installed version"} : f.install.version),
      {"Sign the release again on the platform: vigil-platform release add --data-dir DIR "
       "vigil-setup [--valid 30d] (new metadata, a higher serial)",
       "Check this host's clock (date -u): a clock running ahead makes metadata look expired",
       "See SelfPatch.log in the Log directory"});
  return true;
}

module_verdict judge_scan_module(const facts& f, std::string_view name, bool blackout,
                                 verdict& v) {
  module_verdict m;
  m.name = std::string{name};
  m.type = "Scan based";
  const module_status* s = f.status ? f.status->find_module(name) : nullptr;
  if (s == nullptr || !s->activated) {
    m.enabled = false;
    return m;
  }
  m.enabled = true;
  m.state = state_text(s->state);
  m.scan_interval = s->scan_interval_s > 0 ? s->scan_interval_s : default_scan_interval_s;
  auto grace = f.scan_grace_s >= 0 ? f.scan_grace_s : default_scan_grace(m.scan_interval);
  auto reference = s->last_scan_end ? s->last_scan_end
                   : s->activated_since ? s->activated_since
                                        : f.status->started_at;
  m.last_scan = s->last_scan_end;
  m.last_upload = s->last_upload_ack;
  m.pending_delta_seq = s->pending_delta_seq;
  m.next_scan = s->last_scan_end ? s->last_scan_end + m.scan_interval : reference;
  m.scan_deadline = reference + m.scan_interval + grace;
  bool overdue = f.now > m.scan_deadline;
  m.healthy = true;
  if (overdue) {
    if (blackout && s->state == module_run_state::waiting_for_blackout) {
      add(v, condition::blackout_in_force, "INFO",
          m.name + " waits for the network blackout window to end", {});
    } else {
      m.healthy = false;
      bool stuck = s->state == module_run_state::pending_upload;
      std::string since = s->last_scan_end ? "since " + format_time(s->last_scan_end)
                                           : "since it was activated at " + format_time(reference);
      m.reason = stuck ? "its delta " + std::to_string(s->pending_delta_seq)
                           + " has not been uploaded and no scan completed " + since
                       : "no scan completed " + since
                           + (s->state == module_run_state::scanning
                                ? " (a scan runs since " + format_time(s->last_scan_start) + ")"
                                : std::string{});
      add(v, stuck ? condition::upload_stuck : condition::scan_overdue, "CRITICAL",
          m.name + ": scan deadline " + format_time(m.scan_deadline) + " passed: " + m.reason,
          stuck ? std::vector<std::string>{"Check Upload.log and Network.log in the Log directory",
                                           "Check connectivity to " + f.install.web_service_uri}
                : std::vector<std::string>{"Check " + m.name + ".log in the Log directory",
                                           "A low CpuLimit makes large scans slow: check the "
                                           "profile's CPU limit for " + m.name,
                                           on_demand_hint(m.name)});
    }
  }
  if (!s->last_error.empty())
    add(v, condition::module_error, "WARNING",
        m.name + ": " + s->last_error + (s->last_error_code.empty() ? "" : " (" + s->last_error_code + ")"),
        {"Check " + m.name + ".log in the Log directory"});
  m.health = m.name + " Health " + (m.healthy ? "Good" : "Bad");
  return m;
}

module_verdict judge_patch(const facts& f, verdict& v) {
  module_verdict m;
  m.name = "Patch Management";
  m.type = "Realtime";
  if (!f.patch.configured) {
    add(v, condition::patch_not_configured, "INFO",
        "No patch URL configured hence skipping patch connectivity test",
        {"Give one with --patch-url URL --patch-sha256 HEX, or set the hive values "
         "HealthCheck\\PatchUrl and HealthCheck\\PatchSha256"});
    return m;
  }
  m.enabled = true;
  m.state = "Ready";
  const probe_fact* last = f.patch.attempts.empty() ? nullptr : &f.patch.attempts.back();
  m.healthy = last != nullptr && last->succeeded;
  for (auto& a : f.patch.attempts) {
    if (a.succeeded)
      continue;
    auto name = a.error.name.empty() ? std::string{"network_error"} : a.error.name;
    char took[32];
    std::snprintf(took, sizeof took, "%.3f", a.seconds);
    add(v, a.error.code, name, "CRITICAL",
        "Patch Webrequest [" + route_text(a) + "] failed for " + a.url + " (" + name + ") after "
          + took + " s: " + a.error.text,
        diagnostics_for(name, a.url));
  }
  if (!m.healthy)
    m.reason = "the patch download failed";
  if (m.healthy && !f.patch.expected_sha256.empty() && f.patch.actual_sha256 != f.patch.expected_sha256)
    add(v, condition::patch_hash_mismatch, "ERROR",
        "Patch verification failed for " + f.patch.url + ": SHA-256 " + f.patch.actual_sha256
          + " differs from the expected " + f.patch.expected_sha256,
        {"Check the expected hash (--patch-sha256 or HealthCheck\\PatchSha256) belongs to this URL",
         "A proxy or captive portal may have replaced the content: download it directly and compare"});
  m.health = std::string{"Patch Management Health "} + (m.healthy ? "Good" : "Bad");
  return m;
}

} // namespace

std::string_view to_string(overall o) noexcept {
  switch (o) {
    case overall::good: return "Good";
    case overall::poor: return "Poor";
    case overall::bad: return "Bad";
    case overall::not_installed: return "Not Installed";
    case overall::not_provisioned: return "Not Provisioned";
    case overall::tool_error: return "Tool Error";
  }
  return "Tool Error";
}

int exit_code_of(overall o) noexcept {
  return static_cast<int>(o);
}

std::string_view to_string(condition c) noexcept {
  switch (c) {
    case condition::service_not_running: return "service_not_running";
    case condition::not_provisioned: return "not_provisioned";
    case condition::disk_nearly_full: return "disk_nearly_full";
    case condition::blackout_in_force: return "blackout_in_force";
    case condition::scan_overdue: return "scan_overdue";
    case condition::upload_stuck: return "upload_stuck";
    case condition::no_proxy_configured: return "no_proxy_configured";
    case condition::patch_hash_mismatch: return "patch_hash_mismatch";
    case condition::checkin_overdue: return "checkin_overdue";
    case condition::ca_bundle_missing: return "ca_bundle_missing";
    case condition::certificate_expiring: return "certificate_expiring";
    case condition::agent_state_unreadable: return "agent_state_unreadable";
    case condition::patch_not_configured: return "patch_not_configured";
    case condition::checkin_failed: return "checkin_failed";
    case condition::module_error: return "module_error";
    case condition::not_installed: return "not_installed";
    case condition::agent_never_ran: return "agent_never_ran";
    case condition::release_metadata_expired: return "release_metadata_expired";
    case condition::state_rebuilt: return "state_rebuilt";
  }
  return "unknown";
}

int64_t default_scan_grace(int64_t interval_s) noexcept {
  return std::min<int64_t>(48 * 3600, 12 * std::max<int64_t>(interval_s, 1));
}

std::vector<std::string> diagnostics_for(std::string_view error, std::string_view target) {
  std::string t{target};
  if (error == "connection_refused")
    return {"Nothing accepts connections at " + t + ": check the platform (or proxy) is running",
            "Check WebServiceUri: vigil-reg query \"HKLM\\SOFTWARE\\Vigil\\VigilAgent\" /v WebServiceUri",
            "Check a firewall does not reject the connection"};
  if (error == "timeout")
    return {"No answer from " + t + " in time: a firewall may drop the packets silently",
            "If this network needs a proxy, set it: vigil-proxy /u http://PROXY:PORT",
            "Check routing to the platform's host and port"};
  if (error == "certificate_untrusted")
    return {"The certificate of " + t + " does not lead to a trusted CA",
            "Install the platform's CA in the system trust store, or reinstall with CaBundle=PATH",
            "A TLS-inspecting proxy replaces certificates: exempt the platform or trust its CA"};
  if (error == "certificate_expired")
    return {"Renew the expired certificate of " + t,
            "Check this host's clock (date -u): a wrong clock makes valid certificates look expired"};
  if (error == "host_name_mismatch")
    return {"The certificate of " + t + " is not issued for that host name",
            "Use the host name the certificate names in WebServiceUri, or reissue the certificate"};
  if (error == "tls_protocol_version")
    return {t + " offers no TLS 1.2 or newer: enable TLS 1.2+ on it",
            "If a proxy terminates TLS, it must speak TLS 1.2+ too"};
  if (error == "tls_error")
    return {"The TLS handshake with " + t + " failed: check its certificate and TLS settings",
            "openssl s_client -connect HOST:PORT shows what it offers"};
  if (error == "proxy_auth_required")
    return {"The proxy requires authentication (HTTP 407)",
            "Set the credentials: vigil-proxy /u http://PROXY:PORT /n USER /p PASSWORD",
            "Check the account is not locked or its password expired"};
  if (error == "proxy_refused")
    return {"The proxy refused to connect to " + t + ": allow the platform's host and port in its ACL"};
  if (error == "all_routes_failed")
    return {"Every proxy and the direct route failed: see each route's cause in Network.log",
            "Check the proxy list: vigil-proxy /c"};
  if (error == "network_error")
    return {"Check DNS resolves the host of " + t + " (getent hosts HOST)",
            "Check this host's network connection and routes"};
  if (error == "protocol_error")
    return {t + " answered something unexpected: check the URL points at the right server"};
  if (error == "too_large")
    return {"The answer of " + t + " exceeded the size limit"};
  return {no_steps};
}

verdict evaluate(const facts& f) {
  verdict v;
  check_install(f, v);
  if (!v.installed) {
    v.status = overall::not_installed;
    return v;
  }
  check_tool(f, v);
  bool tool_failed = !f.tool_errors.empty() || !f.install.hive_error.empty()
                     || (!f.status && !f.status_missing);
  v.provisioned = f.status && f.status->provisioned;
  bool blackout = f.status && f.status->in_blackout && f.status->blackout_until > f.now;
  if (blackout)
    add(v, condition::blackout_in_force, "INFO",
        "A network blackout window is in force until " + format_time(f.status->blackout_until)
          + ": no check-in, upload or download until then",
        {"Expected if the profile's BlackoutWindows say so; change them on the platform "
         "otherwise"});
  check_service(f, v);
  check_disk(f, v);
  check_certificates(f, v);
  check_proxy(f, v);
  check_connectivity(f, v, blackout);
  bool stale_release = check_release_metadata(f, v);
  check_rebuilt_state(f, v);
  for (auto name : scan_modules)
    v.modules.push_back(judge_scan_module(f, name, blackout, v));
  v.modules.push_back(judge_patch(f, v));
  if (!v.provisioned && !tool_failed)
    add(v, f.status_missing ? condition::agent_never_ran : condition::not_provisioned, "CRITICAL",
        f.status_missing ? std::string{"The agent has not run yet (no agent-status.json): it "
                                       "provisions at its first start"}
                         : "The agent is installed but the platform has not accepted it yet"
                             + (f.status && !f.status->last_checkin_error.empty()
                                  ? ": " + f.status->last_checkin_error
                                  : std::string{}),
        {"Check Provision.log in the Log directory for the platform's answer",
         "Check CustomerId and ActivationId in the hive match the platform's",
         "Check connectivity to " + f.install.web_service_uri});
  size_t enabled = 0, healthy = 0;
  for (auto& m : v.modules)
    if (m.enabled) {
      ++enabled;
      healthy += m.healthy ? 1 : 0;
    }
  if (tool_failed)
    v.status = overall::tool_error;
  else if (!v.provisioned)
    v.status = overall::not_provisioned;
  else if (!v.service_ok || !v.communication_ok || (enabled > 0 && healthy == 0))
    v.status = overall::bad;
  else if (healthy < enabled || stale_release)
    v.status = overall::poor;
  else
    v.status = overall::good;
  return v;
}

} // namespace vigil::health
