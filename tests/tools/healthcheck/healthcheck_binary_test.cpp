// vigil-healthcheck, the real binary, against agents installed by the real
// vigil-setup in temporary roots and a real vigil-platform: every overall
// status from a real situation, checked in both reports and the exit code,
// each JSON report validated against the shipped schema.

#include <doctest/doctest.h>
#include <csignal>
#include <netinet/in.h>
#include <nlohmann/json.hpp>
#include <sys/socket.h>
#include <unistd.h>

#include "common/sha256.hpp"
#include "host/agent_status.hpp"
#include "host/hive_file.hpp"
#include "host/proxy_config.hpp"
#include "host/secret_box.hpp"
#include "tests/support/agent.hpp"
#include "tests/support/platform.hpp"
#include "tests/support/servers.hpp"
#include "tests/support/temp_dir.hpp"

using namespace vigil;
using nlohmann::json;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

/// One run of the tool: exit code, console, both reports, time taken.
struct health_run {
  test::process_result result;
  json report;
  std::string text;
  fs::path json_file;
  double seconds = 0;
};

std::string after(const std::string& out, const std::string& label) {
  auto at = out.find(label);
  if (at == std::string::npos)
    return {};
  auto start = at + label.size();
  return out.substr(start, out.find('\n', start) - start);
}

health_run run_health(const fs::path& root, std::vector<std::string> extra = {}) {
  std::vector<std::string> argv{test::program("vigil-healthcheck").string(), "--root", root.string()};
  argv.insert(argv.end(), extra.begin(), extra.end());
  health_run h;
  auto start = std::chrono::steady_clock::now();
  h.result = test::run(argv);
  h.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  h.json_file = after(h.result.out, "Detailed Report Location : ");
  auto text_file = after(h.result.out, "Concise Text Report Location : ");
  if (!h.json_file.empty())
    h.report = json::parse(test::read_file(h.json_file), nullptr, false);
  if (!text_file.empty())
    h.text = test::read_file(text_file);
  return h;
}

/// Validates `file` against the shipped schema with python3-jsonschema.
test::process_result validate(const fs::path& file) {
  const char* script = R"(import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
errors = list(jsonschema.Draft202012Validator(schema).iter_errors(json.load(open(sys.argv[2]))))
for e in errors:
    print(list(e.absolute_path), e.message)
sys.exit(1 if errors else 0)
)";
  return test::run({"/usr/bin/python3", "-c", script,
                    test::program("health_report.schema.json").string(), file.string()});
}

/// The checks every report passes: status in console, text and JSON alike,
/// the exit code, the reports in the HealthCheck dir, the schema.
void check_reports(const health_run& h, const std::string& status, int exit_code) {
  CAPTURE(h.result.out);
  CAPTURE(h.result.err);
  CHECK(h.result.exit_code == exit_code);
  REQUIRE(h.report.is_object());
  CHECK(h.report["OverallHealth"] == status);
  CHECK(h.text.find("Overall Health : " + status + "\n") != std::string::npos);
  CHECK(h.result.out.find("Overall Health : " + status + "\n") != std::string::npos);
  CHECK(h.json_file.parent_path().filename() == "HealthCheck");
  CHECK(h.json_file.filename().string().starts_with("vigil_agent_health_check_"));
  for (int n = 1; n <= 9; ++n)
    CHECK(h.result.out.find("CoreHealthCheck " + std::to_string(n) + " : ") != std::string::npos);
  auto v = validate(h.json_file);
  CAPTURE(v.out);
  CAPTURE(v.err);
  CHECK(v.exit_code == 0);
}

const json* error_named(const json& report, const std::string& name) {
  for (auto& e : report["ErrorMessages"])
    if (e["ErrorName"] == name)
      return &e;
  return nullptr;
}

const json* module_entry(const json& report, const std::string& name) {
  for (auto& m : report["AgentCommunicationDetails"])
    if (m["Name"] == name)
      return &m;
  return nullptr;
}

/// A host installed by vigil-setup against `platform` (which may be down).
struct installed_host {
  fs::path root;

  installed_host(const fs::path& dir, const test::platform_process& platform,
                 const std::pair<std::string, std::string>& ids)
    : root{dir / "host"} {
    test::install_agent(root, platform, ids);
  }

  ~installed_host() { stop(); }

  int supervisor_pid() const {
    auto text = test::read_file(root / "var/opt/vigil/state/vigil-agent.pid");
    int pid = text.empty() ? 0 : std::stoi(text);
    return pid > 0 && ::kill(pid, 0) == 0 ? pid : 0;
  }

  void stop() const {
    if (auto pid = supervisor_pid()) {
      ::kill(pid, SIGTERM);
      test::wait_until([&] { return ::kill(pid, 0) != 0; }, 15s);
    }
  }

  std::optional<agent_status> status() const {
    auto s = load_agent_status(paths{root});
    return s ? std::optional<agent_status>{*s} : std::nullopt;
  }

  std::string host_id() const {
    return test::host_id_of(root);
  }

  /// Provisioned, checked in, and every named module scanned at least once.
  bool working(const std::vector<std::string>& modules) const {
    auto s = status();
    if (!s || !s->provisioned || s->last_checkin == 0)
      return false;
    for (auto& name : modules) {
      auto* m = s->find_module(name);
      if (m == nullptr || !m->activated || m->last_scan_end == 0)
        return false;
    }
    return true;
  }
};

/// A listening TCP socket on 127.0.0.1 that never accepts or answers.
struct black_hole {
  int fd = -1;
  uint16_t port = 0;

  black_hole() {
    fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(::listen(fd, 1) == 0);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
  }
  ~black_hole() { ::close(fd); }
};

/// Python's http.server on 127.0.0.1 serving `dir`.
struct file_server {
  uint16_t port = test::free_port();
  std::unique_ptr<test::child_process> process;

  explicit file_server(const fs::path& dir) {
    process = std::make_unique<test::child_process>(
      std::vector<std::string>{"/usr/bin/python3", "-m", "http.server", "--bind", "127.0.0.1",
                               std::to_string(port), "--directory", dir.string()},
      dir.string() + ".log");
    REQUIRE(test::wait_until([&] { return test::port_accepts(port); }, 20s));
  }
  std::string url(const std::string& name) const {
    return "http://127.0.0.1:" + std::to_string(port) + "/" + name;
  }
};

} // namespace

TEST_CASE("vigil-healthcheck: --help, and bad arguments are a Tool Error") {
  auto help = test::run({test::program("vigil-healthcheck").string(), "--help"});
  CHECK(help.exit_code == 0);
  CHECK(help.out.find("5 Tool Error") != std::string::npos);
  auto bad = test::run({test::program("vigil-healthcheck").string(), "--frobnicate"});
  CHECK(bad.exit_code == 5);
  CHECK(bad.err.find("--frobnicate") != std::string::npos);
}

TEST_CASE("vigil-healthcheck: an empty root is Not Installed (exit 3)") {
  test::temp_dir dir;
  auto h = run_health(dir.path());
  check_reports(h, "Not Installed", 3);
  CHECK(error_named(h.report, "not_installed") != nullptr);
  CHECK(h.result.out.find("skipped: the agent is not installed") != std::string::npos);
  // --output-dir and --json: the same report elsewhere and on stdout.
  auto out = dir / "reports";
  auto j = test::run({test::program("vigil-healthcheck").string(), "--root", dir.path().string(),
                      "--output-dir", out.string(), "--json"});
  CHECK(j.exit_code == 3);
  auto printed = json::parse(j.out, nullptr, false);
  REQUIRE(printed.is_object());
  CHECK(printed["OverallHealth"] == "Not Installed");
  size_t files = 0;
  for (auto& e : fs::directory_iterator(out))
    files += e.path().filename().string().starts_with("vigil_agent_health_check_") ? 1 : 0;
  CHECK(files == 2);
}

TEST_CASE("vigil-healthcheck: an agent whose platform was never reachable is Not Provisioned "
          "(exit 4)") {
  test::temp_dir dir;
  test::platform_process platform{dir / "platform"};
  auto ids = platform.create_customer("Vulnerability");
  platform.terminate(); // nothing listens on its port from now on
  installed_host host{dir.path(), platform, ids};
  REQUIRE(test::wait_until([&] { return host.status() && host.status()->pid > 0; }, 20s));
  auto h = run_health(host.root);
  check_reports(h, "Not Provisioned", 4);
  CHECK(h.report["Provisioned"] == false);
  CHECK(error_named(h.report, "not_provisioned") != nullptr);
  auto* refused = error_named(h.report, "connection_refused");
  REQUIRE(refused != nullptr);
  CHECK((*refused)["ErrorCode"] == 18);
  CHECK(h.report["BackendConnectivity"][0]["ConnectionSucceeded"] == false);
}

TEST_CASE("vigil-healthcheck: a working agent is Good; patch connectivity; then stopped or cut "
          "off it is Bad") {
  test::temp_dir dir;
  test::platform_process platform{dir / "platform"};
  auto ids = platform.create_customer("Vulnerability");
  installed_host host{dir.path(), platform, ids};
  REQUIRE(test::wait_until([&] { return host.working({"Inventory", "Vulnerability"}); }, 60s));

  auto h = run_health(host.root);
  check_reports(h, "Good", 0);
  CHECK(h.report["Provisioned"] == true);
  CHECK(h.report["CustomerID"] == ids.first);
  CHECK(h.report["ActivationID"] == ids.second);
  CHECK(h.report["AgentID"] == host.host_id());
  CHECK(h.report["ConfigID"] == "profile-" + ids.second);
  CHECK(h.report["TrustRootPinned"] == true);       // setup's TrustKey=
  CHECK(h.report["Upgrade"]["State"] == "none");    // never upgraded
  CHECK(h.report["AgentVersion"] == "0.1.0");
  CHECK(h.report["Services"][0]["State"] == "Running");
  bool agent_process = false;
  for (auto& p : h.report["Processes"])
    agent_process = agent_process || (p["Role"] == "agent" && p["RSSInMB"] > 0);
  CHECK(agent_process);
  CHECK(h.report["AgentPerformanceCounters"]["RAMUsageInMB"]["PeakRSS"] > 0);
  CHECK(h.report["BackendConnectivity"][0]["ConnectionSucceeded"] == true);
  CHECK(h.report["Certificates"][0]["Installed"] == true);
  CHECK(h.report["Certificates"][0]["Name"] == "CN=Vigil Platform CA");
  CHECK((*module_entry(h.report, "Vulnerability"))["ModuleHealth"] == "Vulnerability Health Good");
  CHECK((*module_entry(h.report, "SCA"))["Enabled"] == false);
  CHECK(h.text.find("Last CAPI : ") != std::string::npos);
  CHECK(h.text.find("Name : vigil-agent\n    State : Running") != std::string::npos);
  // Setup installed the tool and its schema side by side; the installed copy
  // judges the same.
  auto installed_tool = host.root / "opt/vigil/bin/vigil-healthcheck";
  CHECK(fs::exists(host.root / "opt/vigil/bin/health_report.schema.json"));
  REQUIRE(fs::exists(installed_tool));
  CHECK(test::run({installed_tool.string(), "--root", host.root.string()}).exit_code == 0);

  SUBCASE("patch connectivity") {
    auto files = dir / "patches";
    std::string bytes(200'000, 'p');
    test::write_file(files / "patch.bin", bytes);
    file_server server{files};
    auto right = sha256_hex(bytes);

    auto ok = run_health(host.root, {"--patch-url", server.url("patch.bin"), "--patch-sha256", right});
    check_reports(ok, "Good", 0);
    auto* pm = module_entry(ok.report, "Patch Management");
    REQUIRE(pm != nullptr);
    CHECK((*pm)["ModuleHealth"] == "Patch Management Health Good");
    CHECK((*pm)["PatchCommunicationDetails"][0]["HashVerified"] == true);
    CHECK(error_named(ok.report, "patch_hash_mismatch") == nullptr);

    // The hive values are the other source of the URL and hash.
    auto reg = [&](const std::string& name, const std::string& value) {
      REQUIRE(test::reg_add(host.root, "HealthCheck", name, "REG_SZ", value) == 0);
    };
    reg("PatchUrl", server.url("patch.bin"));
    reg("PatchSha256", std::string(64, '0'));
    auto wrong = run_health(host.root);
    check_reports(wrong, "Good", 0);
    auto* mismatch = error_named(wrong.report, "patch_hash_mismatch");
    REQUIRE(mismatch != nullptr);
    CHECK((*mismatch)["Severity"] == "ERROR");
    CHECK((*module_entry(wrong.report, "Patch Management"))["ModuleHealth"]
          == "Patch Management Health Good");

    auto closed = "http://127.0.0.1:" + std::to_string(test::free_port()) + "/patch.bin";
    auto down = run_health(host.root, {"--patch-url", closed});
    check_reports(down, "Poor", 1);
    auto* failed = error_named(down.report, "connection_refused");
    REQUIRE(failed != nullptr);
    CHECK((*failed)["ErrorCode"] == 18);
    CHECK((*failed)["Severity"] == "CRITICAL");
    auto& detail = (*module_entry(down.report, "Patch Management"))["PatchCommunicationDetails"][0];
    CHECK(detail["ConnectionSucceeded"] == false);
    CHECK(detail["ErrorCode"] == 18);
    CHECK(detail["Timetocompleteinseconds"].is_number());
    CHECK((*module_entry(down.report, "Patch Management"))["ModuleHealth"]
          == "Patch Management Health Bad");
  }

  SUBCASE("through a proxy that wants credentials") {
    test::tinyproxy proxy{dir / "proxy", "bob", "s3cret"};
    auto set_proxy = [&](bool with_credentials) {
      hive_file file{host.root / "etc/opt/vigil/registry.reg"};
      auto box = secret_box::open(paths{host.root});
      REQUIRE(box);
      auto sealed = box->seal("s3cret", proxy_password_purpose);
      REQUIRE(sealed);
      REQUIRE(file.update([&](hive& h) -> caf::expected<void> {
        auto key = proxy_key();
        h.set(key, reg_value::sz("ProxyUrls", proxy.url()));
        if (with_credentials) {
          h.set(key, reg_value::sz("Username", "bob"));
          h.set(key, reg_value::sz("Password", *sealed));
        }
        return {};
      }));
    };
    set_proxy(false);
    auto refused = run_health(host.root);
    check_reports(refused, "Good", 0); // direct still works
    auto& routes = refused.report["BackendConnectivity"];
    REQUIRE(routes.size() == 2);
    CHECK(routes[0]["ConnectionSucceeded"] == true);
    CHECK(routes[1]["Route"] == proxy.url());
    CHECK(routes[1]["ConnectionSucceeded"] == false);
    CHECK(routes[1]["ErrorName"] == "proxy_auth_required");
    auto* auth = error_named(refused.report, "proxy_auth_required");
    REQUIRE(auth != nullptr);
    CHECK((*auth)["DiagnosticChecks"].dump().find("vigil-proxy /u") != std::string::npos);
    CHECK(refused.report["ProxyDetails"]["ProxyUrls"][0] == proxy.url());

    set_proxy(true);
    auto through = run_health(host.root);
    check_reports(through, "Good", 0);
    CHECK(through.report["BackendConnectivity"][1]["ConnectionSucceeded"] == true);
    CHECK(through.report["BackendConnectivity"][1]["ProxyUsed"] == true);
    CHECK(error_named(through.report, "no_proxy_configured") == nullptr);
  }

  SUBCASE("the platform becomes unreachable") {
    platform.terminate();
    auto bad = run_health(host.root);
    check_reports(bad, "Bad", 2);
    CHECK(bad.report["BackendConnectivity"][0]["ConnectionSucceeded"] == false);
    CHECK(bad.report["BackendConnectivity"][0]["ErrorName"] == "connection_refused");
    CHECK(bad.report["AgentCommunicationDetails"][0]["CommunicationHealthy"] == false);
  }

  SUBCASE("the service is stopped") {
    host.stop();
    REQUIRE(host.supervisor_pid() == 0);
    auto bad = run_health(host.root);
    check_reports(bad, "Bad", 2);
    CHECK(bad.report["Services"][0]["State"] == "Stopped");
    CHECK(error_named(bad.report, "service_not_running") != nullptr);
    CHECK(bad.report["Processes"].empty());

    // Its state garbled: the tool cannot judge: Tool Error.
    test::write_file(agent_status_file(paths{host.root}), "{\"pid\": 12, \"modules\": [");
    auto broken = run_health(host.root);
    check_reports(broken, "Tool Error", 5);
    auto* unreadable = error_named(broken.report, "agent_state_unreadable");
    REQUIRE(unreadable != nullptr);
    CHECK((*unreadable)["ErrorDescription"].get<std::string>().find("agent-status.json")
          != std::string::npos);
  }
}

TEST_CASE("vigil-healthcheck: a module whose scan overruns its deadline makes Poor (exit 1)") {
  // The mechanism: a profile gives Vulnerability a 1 s scan interval and a
  // 1 % CPU limit, and the host holds a large package database: its scan,
  // throttled to 1 % of a core, runs far longer than interval + grace, so its
  // scan deadline passes while Inventory (100 %, 4 h) stays on schedule. This
  // is what an administrator sees when a CPU limit is too low for a host.
  // (40,000 packages took 7.4 s at 1 % on the development machine; 120,000
  // leave a wide margin over the ~4 s until the check runs.)
  test::temp_dir dir;
  test::platform_process platform{dir / "platform"};
  auto ids = platform.create_customer("Vulnerability");
  auto set = test::run({test::program("vigil-platform").string(), "profile", "set", "--data-dir",
                        platform.data_dir().string(), "--activation", ids.second,
                        "ScanIntervalSeconds.Vulnerability=1", "CpuLimit.Vulnerability=1"});
  REQUIRE(set.exit_code == 0);
  std::string packages;
  for (int i = 0; i < 120'000; ++i)
    packages += "Package: pkg" + std::to_string(i) + "\nStatus: install ok installed\n"
                "Architecture: amd64\nVersion: 1." + std::to_string(i) + "-1\n"
                "Description: package number " + std::to_string(i) + "\n\n";
  test::write_file(dir / "host/var/lib/dpkg/status", packages);
  installed_host host{dir.path(), platform, ids};
  REQUIRE(test::wait_until([&] {
    auto s = host.status();
    if (!s || !s->provisioned || s->last_checkin == 0)
      return false;
    auto* inv = s->find_module("Inventory");
    auto* vm = s->find_module("Vulnerability");
    return inv && inv->last_scan_end > 0 && vm && vm->activated && vm->scan_interval_s == 1
           && vm->state == module_run_state::scanning && vm->activated_since > 0
           && unix_now() > vm->activated_since + 3;
  }, 60s));
  auto h = run_health(host.root, {"--scan-grace", "1"});
  check_reports(h, "Poor", 1);
  // The verdict came from a real overrun: the same scan still runs.
  auto after_run = host.status();
  REQUIRE(after_run);
  auto* still = after_run->find_module("Vulnerability");
  REQUIRE(still != nullptr);
  CHECK(still->state == module_run_state::scanning);
  CHECK(still->last_scan_end == 0);
  MESSAGE("Vulnerability scanning for " << unix_now() - still->last_scan_start
                                        << " s at 1 % CPU when the check ended");
  auto* vm = module_entry(h.report, "Vulnerability");
  REQUIRE(vm != nullptr);
  CHECK((*vm)["ModuleHealth"] == "Vulnerability Health Bad");
  CHECK((*vm)["State"] == "Scanning");
  CHECK((*module_entry(h.report, "Inventory"))["ModuleHealth"] == "Inventory Health Good");
  auto* overdue = error_named(h.report, "scan_overdue");
  REQUIRE(overdue != nullptr);
  CHECK((*overdue)["ErrorCode"] == 1005);
  CHECK(h.text.find("Module Health : Vulnerability Health Bad") != std::string::npos);
}

TEST_CASE("vigil-healthcheck: expired release metadata is Poor and says why; the agent "
          "restarted with it starts, checks in and runs on") {
  test::temp_dir dir;
  test::platform_process platform{dir / "platform"};
  auto ids = platform.create_customer("Vulnerability");
  REQUIRE(test::set_profile(platform, ids.second, {"CapiIntervalSeconds=2"}) == 0);
  installed_host host{dir.path(), platform, ids};
  REQUIRE(test::wait_until([&] { return host.working({"Inventory", "Vulnerability"}); }, 60s));
  // 0.2.0's metadata is signed valid for 1 s; the profile names it once it
  // has expired.
  auto newer = test::setup_of_version(dir.path(), "0.2.0");
  auto added = test::run({test::program("vigil-platform").string(), "release", "add", "--data-dir",
                          platform.data_dir().string(), newer.string(), "--valid", "1s"});
  CAPTURE(added.err);
  REQUIRE(added.exit_code == 0);
  auto expired = [&] {
    auto r = test::run({test::program("vigil-platform").string(), "release", "list", "--json", "--data-dir",
                        platform.data_dir().string()});
    auto list = json::parse(r.out, nullptr, false);
    return list.is_array() && !list.empty() && list[0].value("expired", false);
  };
  REQUIRE(test::wait_until(expired, 10s));
  REQUIRE(test::set_profile(platform, ids.second, {"TargetVersion=0.2.0"}) == 0);
  REQUIRE(test::wait_until([&] {
    auto s = host.status();
    return s && s->release_metadata_expired;
  }, 30s));
  // Restarted, the agent starts and checks in; it refuses the metadata again.
  auto before = host.status();
  REQUIRE(before);
  host.stop();
  auto restarted_at = unix_now();
  auto started = test::run({(host.root / "opt/vigil/bin/vigil-agent").string(), "--root",
                            host.root.string()});
  REQUIRE(started.exit_code == 0);
  REQUIRE(test::wait_until([&] {
    auto s = host.status();
    return s && s->pid != before->pid && s->last_checkin >= restarted_at
           && s->release_metadata_checked_at >= restarted_at && s->release_metadata_expired;
  }, 30s));
  auto h = run_health(host.root);
  check_reports(h, "Poor", 1);
  auto* stale = error_named(h.report, "release_metadata_expired");
  REQUIRE(stale != nullptr);
  CHECK((*stale)["ErrorCode"] == 1018);
  CHECK((*stale)["Severity"] == "WARNING");
  auto description = (*stale)["ErrorDescription"].get<std::string>();
  CHECK(description.find("0.2.0 expired at") != std::string::npos);
  CHECK(description.find("runs on 0.1.0") != std::string::npos);
  CHECK(h.report["AgentVersion"] == "0.1.0");
  CHECK(h.report["Upgrade"]["State"] == "refused");
  CHECK(h.report["Upgrade"]["Reason"].get<std::string>().starts_with("metadata_expired"));
  CHECK(h.report["Upgrade"]["ReleaseMetadata"]["Version"] == "0.2.0");
  CHECK(h.report["Upgrade"]["ReleaseMetadata"]["Expired"] == true);
  CHECK(h.text.find("Release Metadata : 0.2.0 expired at") != std::string::npos);
  // Every module stays healthy: only the stale metadata makes it Poor.
  CHECK((*module_entry(h.report, "Vulnerability"))["ModuleHealth"] == "Vulnerability Health Good");
  CHECK(host.supervisor_pid() > 0);
  CHECK(test::read_file(host.root / "opt/vigil/VERSION") == "0.1.0\n");
  // The platform stops offering it: the next check-in clears it, Good again.
  REQUIRE(test::set_profile(platform, ids.second, {"TargetVersion="}) == 0);
  REQUIRE(test::wait_until([&] {
    auto s = host.status();
    return s && !s->release_metadata_expired && s->release_metadata_version.empty();
  }, 30s));
  auto cleared = run_health(host.root);
  check_reports(cleared, "Good", 0);
  CHECK(cleared.report["Upgrade"]["ReleaseMetadata"].is_null());
}

TEST_CASE("vigil-healthcheck: probes into a black hole end the run within 60 s") {
  test::temp_dir dir;
  black_hole hole;
  auto root = dir / "host";
  auto at = "127.0.0.1:" + std::to_string(hole.port);
  auto reg = [&](const std::string& subkey, const std::string& name, const std::string& value) {
    REQUIRE(test::reg_add(root, subkey, name, "REG_SZ", value) == 0);
  };
  reg("", "CustomerId", "{3C59A6A1-51E6-75B4-81FD-BFFD25CDCCFA}");
  reg("", "ActivationId", "{F635D621-1FC4-4C70-B964-ACA13AAE642C}");
  reg("", "WebServiceUri", "https://" + at + "/CloudAgent/");
  reg("Proxy", "ProxyUrls", "http://" + at);
  test::write_file(root / "opt/vigil/bin/vigil-agent", "#!/bin/sh\n");
  auto h = run_health(root, {"--patch-url", "https://" + at + "/patch.bin"});
  MESSAGE("black-holed run took " << h.seconds << " s");
  CHECK(h.seconds < 60);
  check_reports(h, "Not Provisioned", 4);
  auto& routes = h.report["BackendConnectivity"];
  REQUIRE(routes.size() == 2);
  for (auto& r : routes) {
    CHECK(r["ConnectionSucceeded"] == false);
    CHECK(r["ErrorName"] == "timeout");
  }
  auto& patch = (*module_entry(h.report, "Patch Management"))["PatchCommunicationDetails"];
  REQUIRE_FALSE(patch.empty());
  CHECK(patch.back()["ErrorName"] == "timeout");
}
