// The health evaluation (SPEC §14) at fixed times: no system access.

#include "tools/healthcheck/health_eval.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "tools/healthcheck/health_report.hpp"

using namespace vigil;
using namespace vigil::health;

namespace {

constexpr int64_t now = 1'706'117'245; // 2024-01-24 17:27:25 UTC

module_status scanned(std::string name, int64_t ago, int64_t interval = 14400) {
  module_status m;
  m.name = std::move(name);
  m.activated = true;
  m.activated_since = now - 100'000;
  m.scan_interval_s = interval;
  m.last_scan_start = now - ago - 5;
  m.last_scan_end = now - ago;
  return m;
}

/// A healthy installed agent: running, checked in a minute ago, platform
/// reachable, Inventory and Vulnerability scanned recently.
facts healthy() {
  facts f;
  f.now = now;
  f.install.agent_binary = true;
  f.install.hive_present = true;
  f.install.hive_complete = true;
  f.install.web_service_uri = "https://platform.test:8443/CloudAgent/";
  f.service = service_fact{"vigil-agent", "supervisor", true, 42};
  agent_status s;
  s.pid = 43;
  s.started_at = now - 3600;
  s.provisioned = true;
  s.last_checkin = now - 60;
  s.checkin_interval_s = 900;
  s.modules = {scanned("Inventory", 600), scanned("Vulnerability", 1200)};
  f.status = s;
  probe_fact p;
  p.url = "https://platform.test:8443/CloudAgent/status";
  p.succeeded = true;
  p.http_status = 200;
  f.connectivity = {p};
  f.free_disk_mb = 10'000;
  certificate_fact pinned;
  pinned.pinned = pinned.installed = true;
  pinned.name = "CN=Vigil Platform CA";
  pinned.path = "/var/opt/vigil/state/ca-bundle.pem";
  pinned.not_after = now + 365 * 86400;
  f.certificates = {pinned};
  return f;
}

const error_entry* find_error(const verdict& v, std::string_view name) {
  for (auto& e : v.errors)
    if (e.name == name)
      return &e;
  return nullptr;
}

const module_verdict& module_of(const verdict& v, std::string_view name) {
  for (auto& m : v.modules)
    if (m.name == name)
      return m;
  FAIL("no module " << name);
  throw;
}

} // namespace

TEST_CASE("health: a running, communicating agent with scanned modules is Good (exit 0)") {
  auto v = evaluate(healthy());
  CHECK(v.status == overall::good);
  CHECK(exit_code_of(v.status) == 0);
  auto& vm = module_of(v, "Vulnerability");
  CHECK(vm.enabled);
  CHECK(vm.healthy);
  CHECK(vm.health == "Vulnerability Health Good");
  CHECK(vm.next_scan == now - 1200 + 14400);
  // The guide's deadline for a 4-hour interval: the next scan + 2 days.
  CHECK(vm.scan_deadline == vm.next_scan + 48 * 3600);
  CHECK_FALSE(module_of(v, "SCA").enabled);
  CHECK_FALSE(module_of(v, "Patch Management").enabled);
  auto* info = find_error(v, "no_proxy_configured");
  REQUIRE(info != nullptr);
  CHECK(info->severity == "INFO");
  CHECK(info->description == "No Proxy set hence skipping proxy test");
}

TEST_CASE("health: the default scan grace is 12 intervals, at most 48 h") {
  CHECK(default_scan_grace(14400) == 48 * 3600);
  CHECK(default_scan_grace(86400) == 48 * 3600);
  CHECK(default_scan_grace(60) == 720);
  CHECK(default_scan_grace(0) == 12);
}

TEST_CASE("health: nothing installed is Not Installed (exit 3), whatever else") {
  facts f;
  f.now = now;
  auto v = evaluate(f);
  CHECK(v.status == overall::not_installed);
  CHECK(exit_code_of(v.status) == 3);
  REQUIRE(find_error(v, "not_installed") != nullptr);
  // A hive kept by an uninstall without Force=True is still not an installation.
  f.install.hive_present = f.install.hive_complete = true;
  CHECK(evaluate(f).status == overall::not_installed);
}

TEST_CASE("health: an unreadable agent state is Tool Error (exit 5)") {
  auto f = healthy();
  f.status.reset();
  f.status_error = {3, "parse_error", "/x/agent-status.json: not valid JSON"};
  auto v = evaluate(f);
  CHECK(v.status == overall::tool_error);
  CHECK(exit_code_of(v.status) == 5);
  auto* e = find_error(v, "agent_state_unreadable");
  REQUIRE(e != nullptr);
  CHECK(e->severity == "CRITICAL");
  CHECK(e->description.find("agent-status.json") != std::string::npos);
}

TEST_CASE("health: installed but never provisioned is Not Provisioned (exit 4)") {
  auto f = healthy();
  f.status->provisioned = false;
  f.status->last_checkin = 0;
  auto v = evaluate(f);
  CHECK(v.status == overall::not_provisioned);
  CHECK(exit_code_of(v.status) == 4);
  REQUIRE(find_error(v, "not_provisioned") != nullptr);
  // An agent that never ran (GoldenImage) has no state file: not provisioned either.
  f.status.reset();
  f.status_missing = true;
  v = evaluate(f);
  CHECK(v.status == overall::not_provisioned);
  CHECK(find_error(v, "agent_never_ran") != nullptr);
}

TEST_CASE("health: one module past its scan deadline makes Poor (exit 1)") {
  auto f = healthy();
  f.status->modules[1] = scanned("Vulnerability", 3 * 86400);
  auto v = evaluate(f);
  CHECK(v.status == overall::poor);
  CHECK(exit_code_of(v.status) == 1);
  auto& vm = module_of(v, "Vulnerability");
  CHECK_FALSE(vm.healthy);
  CHECK(vm.health == "Vulnerability Health Bad");
  auto* e = find_error(v, "scan_overdue");
  REQUIRE(e != nullptr);
  CHECK(e->severity == "CRITICAL");
  CHECK(e->code == 1005);
  CHECK(e->diagnostics.size() >= 2);
  // --scan-grace shortens the deadline: 30 s late with a grace of 10 s.
  f = healthy();
  f.status->modules[1] = scanned("Vulnerability", 40, 1);
  f.scan_grace_s = 10;
  CHECK(evaluate(f).status == overall::poor);
  f.scan_grace_s = 60;
  CHECK(evaluate(f).status == overall::good);
}

TEST_CASE("health: expired release metadata makes Poor (exit 1) and names why; a fresh or "
          "withdrawn one does not") {
  auto f = healthy();
  f.install.version = "0.1.0";
  f.status->release_metadata_version = "0.2.0";
  f.status->release_metadata_expires_at = now - 3600;
  f.status->release_metadata_checked_at = now - 30;
  f.status->release_metadata_expired = true;
  auto v = evaluate(f);
  CHECK(v.status == overall::poor);
  CHECK(exit_code_of(v.status) == 1);
  auto* e = find_error(v, "release_metadata_expired");
  REQUIRE(e != nullptr);
  CHECK(e->code == 1018);
  CHECK(e->severity == "WARNING");
  CHECK(e->description.find("0.2.0 expired at 2024-01-24 16:27:25") != std::string::npos);
  CHECK(e->description.find("runs on 0.1.0") != std::string::npos);
  auto j = nlohmann::json::parse(json_report(f, v, {"0.1.0"}));
  CHECK(j["Upgrade"]["ReleaseMetadata"]["Version"] == "0.2.0");
  CHECK(j["Upgrade"]["ReleaseMetadata"]["Expired"] == true);
  CHECK(j["Upgrade"]["ReleaseMetadata"]["ExpiresAt"] == "2024-01-24T16:27:25Z");
  CHECK(text_report(f, v).find("Release Metadata : 0.2.0 expired at") != std::string::npos);
  // Worse conditions still win: the service down is Bad.
  f.service->running = false;
  CHECK(evaluate(f).status == overall::bad);
  // In-date metadata, or none offered: Good.
  f = healthy();
  f.status->release_metadata_version = "0.2.0";
  f.status->release_metadata_expires_at = now + 3600;
  f.status->release_metadata_checked_at = now - 30;
  v = evaluate(f);
  CHECK(v.status == overall::good);
  CHECK(find_error(v, "release_metadata_expired") == nullptr);
  CHECK(nlohmann::json::parse(json_report(healthy(), evaluate(healthy()), {"0.1.0"}))["Upgrade"]
                             ["ReleaseMetadata"]
          .is_null());
}

TEST_CASE("health: a module that never completed a scan counts from its activation") {
  auto f = healthy();
  module_status m;
  m.name = "UDC";
  m.activated = true;
  m.activated_since = now - 30;
  m.scan_interval_s = 1;
  m.state = module_run_state::scanning;
  m.last_scan_start = now - 29;
  f.status->modules.push_back(m);
  f.scan_grace_s = 5;
  auto v = evaluate(f);
  CHECK(v.status == overall::poor);
  auto& udc = module_of(v, "UDC");
  CHECK(udc.scan_deadline == now - 30 + 1 + 5);
  CHECK(udc.state == "Scanning");
  CHECK(udc.reason.find("a scan runs since") != std::string::npos);
}

TEST_CASE("health: a delta stuck in upload past the deadline is upload_stuck") {
  auto f = healthy();
  auto& m = f.status->modules[1];
  m = scanned("Vulnerability", 3 * 86400);
  m.state = module_run_state::pending_upload;
  m.pending_delta_seq = 7;
  auto v = evaluate(f);
  CHECK(v.status == overall::poor);
  auto* e = find_error(v, "upload_stuck");
  REQUIRE(e != nullptr);
  CHECK(e->description.find("delta 7") != std::string::npos);
}

TEST_CASE("health: service down, platform unreachable or no module healthy is Bad (exit 2)") {
  SUBCASE("service down") {
    auto f = healthy();
    f.service->running = false;
    auto v = evaluate(f);
    CHECK(v.status == overall::bad);
    CHECK(exit_code_of(v.status) == 2);
    CHECK(find_error(v, "service_not_running") != nullptr);
  }
  SUBCASE("a Windows service whose process has ended") {
    auto f = healthy();
    f.service->kind = "windows-service";
    f.service->running = false;
    f.service->ended_pid = 4242;
    auto v = evaluate(f);
    CHECK(v.status == overall::bad);
    auto* e = find_error(v, "service_not_running");
    REQUIRE(e != nullptr);
    CHECK(e->description
          == "The vigil-agent service is not running (windows-service): the service manager still "
             "reports it running, but its process 4242 has ended");
  }
  SUBCASE("platform refuses connections") {
    auto f = healthy();
    f.connectivity[0].succeeded = false;
    f.connectivity[0].error = {18, "connection_refused", "connecting to platform.test:8443: refused"};
    auto v = evaluate(f);
    CHECK(v.status == overall::bad);
    auto* e = find_error(v, "connection_refused");
    REQUIRE(e != nullptr);
    CHECK(e->code == 18);
    CHECK(e->severity == "CRITICAL");
    CHECK(e->description.find("Direct Connection") != std::string::npos);
  }
  SUBCASE("every module overdue") {
    auto f = healthy();
    for (auto& m : f.status->modules)
      m.last_scan_end = now - 10 * 86400;
    CHECK(evaluate(f).status == overall::bad);
  }
  SUBCASE("check-ins stopped") {
    auto f = healthy();
    f.status->last_checkin = now - 3 * 900;
    f.status->last_checkin_error = "connection_refused: platform.test:8443";
    f.status->last_checkin_error_code = "connection_refused";
    f.status->last_checkin_error_at = now - 30;
    auto v = evaluate(f);
    CHECK(v.status == overall::bad);
    CHECK(find_error(v, "checkin_overdue") != nullptr);
    auto* failed = find_error(v, "checkin_failed");
    REQUIRE(failed != nullptr);
    CHECK(failed->severity == "CRITICAL");
  }
}

TEST_CASE("health: a network blackout excuses missing check-ins and waiting modules") {
  auto f = healthy();
  f.status->in_blackout = true;
  f.status->blackout_until = now + 3600;
  f.status->last_checkin = now - 5 * 3600;
  auto& m = f.status->modules[1];
  m = scanned("Vulnerability", 3 * 86400);
  m.state = module_run_state::waiting_for_blackout;
  auto v = evaluate(f);
  CHECK(v.status == overall::good);
  auto* e = find_error(v, "blackout_in_force");
  REQUIRE(e != nullptr);
  CHECK(e->severity == "INFO");
}

TEST_CASE("health: each known network error tells the administrator what to check") {
  auto has = [](std::string_view error, std::string_view text) {
    for (auto& d : diagnostics_for(error, "https://p:1/"))
      if (d.find(text) != std::string::npos)
        return true;
    return false;
  };
  CHECK(has("certificate_untrusted", "CaBundle=PATH"));
  CHECK(has("certificate_expired", "clock"));
  CHECK(has("host_name_mismatch", "host name"));
  CHECK(has("proxy_auth_required", "vigil-proxy /u"));
  CHECK(has("connection_refused", "WebServiceUri"));
  CHECK(has("timeout", "firewall"));
  CHECK(has("tls_protocol_version", "TLS 1.2"));
  CHECK(has("something_new", "Tool does not contain diagnostic steps"));
}

TEST_CASE("health: patch connectivity: a hash mismatch is an ERROR entry, a failed download "
          "makes PM unhealthy") {
  auto f = healthy();
  f.patch.configured = true;
  f.patch.url = "http://patches.test/p.bin";
  f.patch.expected_sha256 = std::string(64, 'a');
  probe_fact ok;
  ok.url = f.patch.url;
  ok.succeeded = true;
  ok.http_status = 200;
  f.patch.attempts = {ok};
  SUBCASE("right hash") {
    f.patch.actual_sha256 = std::string(64, 'a');
    auto v = evaluate(f);
    CHECK(v.status == overall::good);
    CHECK(module_of(v, "Patch Management").health == "Patch Management Health Good");
    CHECK(find_error(v, "patch_hash_mismatch") == nullptr);
  }
  SUBCASE("wrong hash") {
    f.patch.actual_sha256 = std::string(64, 'b');
    auto v = evaluate(f);
    CHECK(v.status == overall::good);
    CHECK(module_of(v, "Patch Management").healthy);
    auto* e = find_error(v, "patch_hash_mismatch");
    REQUIRE(e != nullptr);
    CHECK(e->severity == "ERROR");
  }
  SUBCASE("download failed") {
    f.patch.attempts[0].succeeded = false;
    f.patch.attempts[0].seconds = 8.25;
    f.patch.attempts[0].error = {12, "timeout", "patches.test:80 timed out"};
    auto v = evaluate(f);
    CHECK(v.status == overall::poor);
    CHECK(module_of(v, "Patch Management").health == "Patch Management Health Bad");
    auto* e = find_error(v, "timeout");
    REQUIRE(e != nullptr);
    CHECK(e->code == 12);
    CHECK(e->description.find("8.250 s") != std::string::npos);
    CHECK(e->description.find("Patch Webrequest [Direct Connection]") != std::string::npos);
  }
}

TEST_CASE("health: disk space and certificate expiry are reported") {
  auto f = healthy();
  f.free_disk_mb = 300;
  f.certificates[0].not_after = now + 86400;
  auto v = evaluate(f);
  CHECK(v.status == overall::good);
  REQUIRE(find_error(v, "disk_nearly_full") != nullptr);
  CHECK(find_error(v, "disk_nearly_full")->severity == "WARNING");
  CHECK(find_error(v, "certificate_expiring") != nullptr);
  f.free_disk_mb = 50;
  f.certificates[0].not_after = now - 1;
  v = evaluate(f);
  CHECK(find_error(v, "disk_nearly_full")->severity == "CRITICAL");
  CHECK(find_error(v, "certificate_expired") != nullptr);
}

TEST_CASE("health: the reports carry the guide's fields and the overall status") {
  auto f = healthy();
  f.status->modules[1] = scanned("Vulnerability", 3 * 86400);
  f.install.customer_id = "{3C59A6A1-51E6-75B4-81FD-BFFD25CDCCFA}";
  auto v = evaluate(f);
  auto j = nlohmann::json::parse(json_report(f, v, {"0.1.0"}));
  CHECK(j["OverallHealth"] == "Poor");
  CHECK(j["Timestamp"] == "2024-01-24T17:27:25Z");
  CHECK(j["JSONSchemaVersion"] == json_schema_version);
  CHECK(j["CustomerID"] == f.install.customer_id);
  CHECK(j["AgentID"].is_null());
  CHECK(j["ProxyDetails"]["ProxyUrls"].is_null());
  CHECK(j["ProxyDetails"]["DirectAttemptEnabled"] == true);
  CHECK(j["AgentCommunicationDetails"][0]["CAPIIntervalInSeconds"] == 900);
  CHECK(j["ErrorMessages"].is_array());
  auto text = text_report(f, v);
  CHECK(text.find("Overall Health : Poor") != std::string::npos);
  CHECK(text.find("Module Health : Vulnerability Health Bad") != std::string::npos);
  CHECK(text.find("Severity : CRITICAL") != std::string::npos);
}
