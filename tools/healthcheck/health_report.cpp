#include "tools/healthcheck/health_report.hpp"

#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tools/healthcheck/health_time.hpp"

namespace vigil::health {

namespace {

using nlohmann::json;

json string_or_null(const std::string& s) {
  return s.empty() ? json(nullptr) : json(s);
}

json time_or_null(int64_t t) {
  return t == 0 ? json(nullptr) : json(iso_time(t));
}

std::string route_name(const probe_fact& p) {
  return p.route == "direct" ? std::string{"Direct Connection"} : p.route;
}

/// The release metadata the platform last offered, as the agent checked it;
/// null when it offers none.
json release_metadata_json(const facts& f) {
  if (!f.status || f.status->release_metadata_version.empty())
    return nullptr;
  auto& s = *f.status;
  return {{"Version", s.release_metadata_version},
          {"ExpiresAt", time_or_null(s.release_metadata_expires_at)},
          {"CheckedAt", time_or_null(s.release_metadata_checked_at)},
          {"Expired", s.release_metadata_expired}};
}

double rounded(double seconds) {
  return static_cast<double>(static_cast<int64_t>(seconds * 1000 + 0.5)) / 1000;
}

json probe_json(const probe_fact& p) {
  return {{"Route", route_name(p)},
          {"URL", p.url},
          {"ProxyUsed", p.route != "direct"},
          {"ConnectionSucceeded", p.succeeded},
          {"HttpStatus", p.http_status},
          {"Timetocompleteinseconds", rounded(p.seconds)},
          {"ErrorCode", p.error.code},
          {"ErrorName", string_or_null(p.error.name)},
          {"ErrorDescription", string_or_null(p.error.text)}};
}

json module_json(const facts& f, const module_verdict& m) {
  json j{{"Name", m.name}, {"ModuleType", m.type}, {"Enabled", m.enabled}};
  if (!m.enabled)
    return j;
  j["State"] = m.state;
  j["ModuleHealth"] = m.health;
  j["Healthy"] = m.healthy;
  j["Reason"] = string_or_null(m.reason);
  if (m.type == "Realtime") {
    json details = json::array();
    for (auto& a : f.patch.attempts) {
      auto d = probe_json(a);
      d["VendorUrl"] = f.patch.url;
      d["Proxyresolution"] = f.proxy.pac_file_path.empty() ? "NoResolution" : "PacFile";
      d["ExpectedSHA256"] = string_or_null(f.patch.expected_sha256);
      d["ActualSHA256"] = string_or_null(a.succeeded ? f.patch.actual_sha256 : std::string{});
      d["HashVerified"] = a.succeeded && !f.patch.expected_sha256.empty()
                          && f.patch.actual_sha256 == f.patch.expected_sha256;
      details.push_back(std::move(d));
    }
    j["PatchCommunicationDetails"] = std::move(details);
    return j;
  }
  j["LastScanTime"] = time_or_null(m.last_scan);
  j["ScanIntervalInSeconds"] = m.scan_interval;
  j["NextScanTime"] = time_or_null(m.next_scan);
  j["ScanDeadline"] = time_or_null(m.scan_deadline);
  j["LastUploadTime"] = time_or_null(m.last_upload);
  j["PendingDeltaSeq"] = m.pending_delta_seq;
  return j;
}

} // namespace

std::string json_report(const facts& f, const verdict& v, const report_meta& meta) {
  int64_t cpu = 0, rss = 0, peak = 0;
  json processes = json::array();
  for (auto& p : f.processes) {
    cpu += p.cpu_ms;
    rss += p.rss_mb;
    peak += p.peak_rss_mb;
    processes.push_back({{"PID", p.pid},
                         {"Role", p.role},
                         {"CPUUsageInMilliseconds", p.cpu_ms},
                         {"RSSInMB", p.rss_mb},
                         {"PeakRSSInMB", p.peak_rss_mb}});
  }
  json services = json::array();
  if (f.service)
    services.push_back({{"Name", f.service->name},
                        {"Kind", f.service->kind},
                        {"State", f.service->running ? "Running" : "Stopped"},
                        {"PID", f.service->main_pid}});
  json certificates = json::array();
  for (auto& c : f.certificates)
    certificates.push_back({{"Name", c.name},
                            {"Path", c.path},
                            {"Installed", c.installed},
                            {"Pinned", c.pinned},
                            {"CertificateCount", c.certificates},
                            {"ExpiresAt", time_or_null(c.not_after)}});
  json proxy_urls = f.proxy.proxy_urls.empty() ? json(nullptr) : json(f.proxy.proxy_urls);
  json connectivity = json::array();
  for (auto& p : f.connectivity)
    connectivity.push_back(probe_json(p));
  json communication = json::array();
  json capi{{"Name", "Configuration (CAPI)"},
            {"Enabled", v.installed},
            {"LastCAPI", time_or_null(f.status ? f.status->last_checkin : 0)},
            {"CAPIIntervalInSeconds", v.checkin_interval},
            {"LastCAPIError", string_or_null(f.status ? f.status->last_checkin_error : "")},
            {"LastCAPIErrorName", string_or_null(f.status ? f.status->last_checkin_error_code : "")},
            {"LastRoute", string_or_null(f.status ? f.status->last_route : "")},
            {"InBlackout", f.status && f.status->in_blackout},
            {"BlackoutUntil", time_or_null(f.status && f.status->in_blackout ? f.status->blackout_until : 0)},
            {"CommunicationHealthy", v.communication_ok}};
  communication.push_back(std::move(capi));
  for (auto& m : v.modules)
    communication.push_back(module_json(f, m));
  json errors = json::array();
  for (auto& e : v.errors)
    errors.push_back({{"ErrorCode", e.code},
                      {"ErrorName", e.name},
                      {"Severity", e.severity},
                      {"ErrorDescription", e.description},
                      {"DiagnosticChecks", e.diagnostics}});
  json report{
    {"OverallHealth", std::string{to_string(v.status)}},
    {"Timestamp", iso_time(f.now)},
    {"ToolVersion", meta.tool_version},
    {"JSONSchemaVersion", json_schema_version},
    {"FreeDiskSpaceInMB", f.free_disk_mb},
    {"CustomerID", string_or_null(f.install.customer_id)},
    {"AgentID", string_or_null(f.install.host_id)},
    {"ActivationID", string_or_null(f.install.activation_id)},
    {"ConfigID", string_or_null(f.status ? f.status->config_id : "")},
    {"AgentVersion", string_or_null(f.install.version)},
    {"TrustRootPinned", f.install.trust_root_pinned},
    {"Upgrade",
     {{"State", f.install.upgrade.state.empty() ? std::string{"none"} : f.install.upgrade.state},
      {"From", string_or_null(f.install.upgrade.from)},
      {"Target", string_or_null(f.install.upgrade.target)},
      {"Reason", string_or_null(f.install.upgrade.reason)},
      {"At", time_or_null(f.install.upgrade.at)},
      {"ReleaseMetadata", release_metadata_json(f)}}},
    {"SelfProtection",
     {{"State", f.install.protection_requested && f.install.protection_off_until == 0
                  ? "on"
                  : "off"},
      {"Requested", f.install.protection_requested},
      {"OffUntil", time_or_null(f.install.protection_off_until)},
      {"Watch", string_or_null(f.status ? f.status->tamper_watch : "")},
      {"BpfLsm", f.install.bpf_lsm},
      {"TamperEvents", f.status ? f.status->tamper_events : 0},
      {"LastTamper", string_or_null(f.status ? f.status->last_tamper : "")},
      {"LastTamperAt", time_or_null(f.status ? f.status->last_tamper_at : 0)},
      {"OrdersPending", f.status ? f.status->orders_pending : 0}}},
    {"Provisioned", v.provisioned},
    {"AgentPerformanceCounters",
     {{"CPUUsageInMilliseconds", cpu},
      {"RAMUsageInMB", {{"RSS", rss}, {"PeakRSS", peak}}},
      {"ProgramDataSpaceUsageInMB", f.program_data_mb},
      {"ProgramFilesSpaceUsageInMB", f.program_files_mb}}},
    {"Services", std::move(services)},
    {"Processes", std::move(processes)},
    {"Certificates", std::move(certificates)},
    {"ProxyDetails",
     {{"ProxyUrls", std::move(proxy_urls)},
      {"PacFilePath", string_or_null(f.proxy.pac_file_path)},
      {"DirectAttemptEnabled", f.proxy.direct_attempt_enabled},
      {"SystemProxyEnabled", f.proxy.system_proxy_enabled},
      {"WPADEnabled", f.proxy.wpad_enabled}}},
    {"BackendConnectivity", std::move(connectivity)},
    {"AgentCommunicationDetails", std::move(communication)},
    {"ErrorMessages", std::move(errors)},
  };
  return report.dump(2) + "\n";
}

std::string text_report(const facts& f, const verdict& v) {
  std::ostringstream out;
  out << ".....\nVigil Agent Local Health Check Tool Report :\n.....\n\n";
  out << "Overall Health : " << to_string(v.status) << "\n\n";
  if (f.service) {
    out << "Services :\n\n";
    out << "    Name : " << f.service->name << "\n";
    out << "    State : " << (f.service->running ? "Running" : "Stopped") << "\n\n";
  }
  if (!f.certificates.empty()) {
    out << "Certificates :\n\n";
    for (auto& c : f.certificates)
      out << "    Name : " << c.name << "\n    Installed : " << (c.installed ? "true" : "false")
          << "\n\n";
  }
  out << "Agent Version : " << (f.install.version.empty() ? "unknown" : f.install.version)
      << "\nTrust Root Pinned : " << (f.install.trust_root_pinned ? "true" : "false") << "\n";
  if (!f.install.upgrade.state.empty() && f.install.upgrade.state != "none")
    out << "Last Upgrade : " << f.install.upgrade.state << " " << f.install.upgrade.from << " -> "
        << f.install.upgrade.target
        << (f.install.upgrade.reason.empty() ? "" : " (" + f.install.upgrade.reason + ")")
        << "\n";
  if (f.status && f.status->release_metadata_expired)
    out << "Release Metadata : " << f.status->release_metadata_version << " expired at "
        << format_time(f.status->release_metadata_expires_at) << "\n";
  out << "Self Protection : "
      << (f.install.protection_requested && f.install.protection_off_until == 0 ? "on" : "off");
  if (f.install.protection_off_until > 0)
    out << " (turned off with an SPFKEY until " << format_time(f.install.protection_off_until)
        << ")";
  out << "\n";
  if (f.status && f.status->last_tamper_at > 0)
    out << "Last Tamper : " << format_time(f.status->last_tamper_at) << " "
        << f.status->last_tamper << "\n";
  if (f.status && f.status->orders_pending > 0)
    out << "Orders Pending : " << f.status->orders_pending << "\n";
  out << "\n";
  if (f.status) {
    out << "Agent Communication Details :\n\n";
    out << "    Last CAPI : " << format_time(f.status->last_checkin) << "\n";
    out << "    CAPI Interval : " << v.checkin_interval << "\n\n";
  }
  if (!f.connectivity.empty()) {
    out << "Backend Connectivity :\n\n";
    for (auto& p : f.connectivity) {
      out << "    " << route_name(p) << " :\n    URL : " << p.url
          << "\n    Connection Succeeded : " << (p.succeeded ? "true" : "false") << "\n\n";
    }
  }
  bool any_module = false;
  for (auto& m : v.modules) {
    if (!any_module)
      out << "Modules :\n\n";
    any_module = true;
    out << "    Name : " << m.name << "\n    Module Type : " << m.type
        << "\n    Enabled : " << (m.enabled ? "true" : "false") << "\n";
    if (m.enabled && m.type == "Scan based") {
      out << "    State : " << m.state << "\n";
      out << "    Last Scan Time : " << format_time(m.last_scan) << "\n";
      out << "    Scan Interval : " << m.scan_interval << "\n";
      out << "    Next Scan Time : " << format_time(m.next_scan) << "\n";
      out << "    Scan Deadline : " << format_time(m.scan_deadline) << "\n";
      out << "    Module Health : " << m.health << "\n";
    } else if (m.enabled) {
      out << "    Patch Connectivity :\n";
      for (auto& a : f.patch.attempts)
        out << "    " << route_name(a) << " :\n    URL : " << a.url
            << "\n    Connection Succeeded : " << (a.succeeded ? "true" : "false") << "\n";
      out << "    Module Health : " << m.health << "\n";
    }
    out << "\n";
  }
  bool any_error = false;
  for (auto& e : v.errors) {
    if (e.severity == "INFO")
      continue;
    if (!any_error)
      out << "Errors :\n\n";
    any_error = true;
    out << "    Severity : " << e.severity << "\n    Error Code : " << e.code << " (" << e.name
        << ")\n    Error Description : " << e.description << "\n\n";
  }
  return out.str();
}

} // namespace vigil::health
