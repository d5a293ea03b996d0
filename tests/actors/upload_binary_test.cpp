// Deltas, exactly-once resumable upload and crash safety (SPEC §9) with the
// real vigil-agent against a real vigil-platform, on files of a test root.

#include <doctest/doctest.h>
#include <csignal>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "tests/support/agent.hpp"
#include "tests/support/platform.hpp"
#include "tests/support/temp_dir.hpp"

using namespace vigil;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

const std::vector<std::string> synced_modules{"Inventory", "Vulnerability", "PolicyCompliance"};

/// A dpkg status file with `count` packages; package i has version `v(i)`.
std::string dpkg_status(int count, const std::function<std::string(int)>& version,
                        const std::set<int>& absent = {}) {
  std::string status;
  for (int i = 0; i < count; ++i)
    if (!absent.count(i))
      status += "Package: pkg" + std::to_string(i) + "\nStatus: install ok installed\nVersion: "
                + version(i) + "\nArchitecture: amd64\n\n";
  return status;
}

/// A version string that differs from package to package the way real ones
/// do (so the snapshot does not compress to almost nothing).
std::string version_of(int i) {
  auto h = static_cast<uint32_t>(i) * 2654435761u;
  return std::to_string(h % 97) + "." + std::to_string(h / 97 % 1013) + "-" + std::to_string(h % 7919)
         + "+deb12u" + std::to_string(h % 11);
}

/// The files the default manifests look at, as a host would have them.
void write_host_files(const fs::path& root, int packages) {
  test::write_file(root / "var/lib/dpkg/status", dpkg_status(packages, version_of));
  test::write_file(root / "etc/ssh/sshd_config", "PermitRootLogin no\nPasswordAuthentication no\n");
  test::write_file(root / "etc/login.defs", "PASS_MAX_DAYS 90\n");
  test::write_file(root / "etc/cron.d/backup", "0 3 * * * root /usr/local/bin/backup\n");
}

/// Whether the platform holds exactly the agent's latest snapshot of every
/// synced module (and there is one).
bool in_sync(const test::platform_process& platform, const fs::path& root,
             std::string* difference = nullptr) {
  auto host = test::host_id_of(root);
  for (auto& m : synced_modules) {
    auto mine = test::snapshot_rows(root, m);
    if (mine.empty()) {
      if (difference)
        *difference = m + ": no snapshot yet";
      return false;
    }
    auto theirs = test::platform_rows(platform, host, m);
    if (mine != theirs) {
      if (difference)
        *difference = m + ": agent " + std::to_string(mine.size()) + " rows, platform "
                      + std::to_string(theirs.size());
      return false;
    }
  }
  return true;
}

/// One line of the platform's request log.
struct logged_request {
  std::string method, target, outcome;
  unsigned status = 0;
  size_t in = 0;
};

std::vector<logged_request> request_log(const test::platform_process& platform) {
  static const std::regex line{R"(^\S+ (\S+) (\S+) host=\S+ status=(\d+) in=(\d+) out=\d+ ?(\S*)$)"};
  std::vector<logged_request> out;
  std::istringstream lines{platform.request_log()};
  for (std::string text; std::getline(lines, text);) {
    std::smatch m;
    if (std::regex_match(text, m, line))
      out.push_back({m[1], m[2], m[5], static_cast<unsigned>(std::stoul(m[3])),
                     std::stoull(m[4])});
  }
  return out;
}

/// Bytes of delta chunks sent for `module`, from request `from` on.
size_t delta_bytes(const std::vector<logged_request>& log, const std::string& module,
                   size_t from = 0) {
  size_t total = 0;
  for (size_t i = from; i < log.size(); ++i)
    if (log[i].method == "PUT" && log[i].target.find("/v1/deltas/" + module + "/") != std::string::npos)
      total += log[i].in;
  return total;
}

/// Every `(module, seq)` the platform applied, and whether one was applied twice.
bool applied_at_most_once(const std::vector<logged_request>& log, size_t* applied = nullptr) {
  std::set<std::string> seen;
  bool once = true;
  for (auto& r : log)
    if (r.outcome == "applied" && !seen.insert(r.target).second) {
      MESSAGE("applied twice: " << r.target);
      once = false;
    }
  if (applied)
    *applied = seen.size();
  return once;
}

struct synced_host {
  test::temp_dir dir;
  test::platform_process platform{dir / "platform"};
  fs::path root = dir / "host";
  std::pair<std::string, std::string> ids = platform.create_customer("Vulnerability,PolicyCompliance");

  explicit synced_host(int packages, std::vector<std::string> profile = {}) {
    profile.push_back("CapiIntervalSeconds=1");
    REQUIRE(test::set_profile(platform, ids.second, profile) == 0);
    test::prepare_root(root, platform, ids);
    write_host_files(root, packages);
  }

  void dump_logs() {
    for (auto* name : {"Agent", "Upload", "Delta", "Vulnerability", "Config"})
      MESSAGE(name << ".log:\n" << test::read_file(root / "var/opt/vigil/Log" / (std::string{name} + ".log")));
  }

  bool wait_in_sync(std::chrono::seconds deadline) {
    std::string difference;
    if (test::wait_until([&] { return in_sync(platform, root, &difference); }, deadline))
      return true;
    MESSAGE("not in sync: " << difference);
    dump_logs();
    return false;
  }

  /// Writes ScanOnDemand=1 for `module` and waits until the scan completed.
  bool scan_now(const std::string& module, std::chrono::seconds deadline = 30s) {
    REQUIRE(test::reg_add(root, "ScanOnDemand\\" + module, "ScanOnDemand", "REG_DWORD", "1") == 0);
    return test::wait_until([&] { return test::on_demand_value(root, module) == 0u; }, deadline);
  }
};

} // namespace

TEST_CASE("upload: the platform's view equals the agent's snapshots; later only changes travel") {
  synced_host h{3000};
  auto agent = test::start_agent(h.root);
  REQUIRE(h.wait_in_sync(60s));
  auto log = request_log(h.platform);
  auto full_bytes = delta_bytes(log, "Vulnerability");
  CHECK(full_bytes > 0);
  // 1 % of the packages change, a few go and come, and a policy file changes.
  test::write_file(h.root / "var/lib/dpkg/status",
                   dpkg_status(3010, [](int i) { return version_of(i) + (i % 100 == 7 ? "+sec1" : ""); },
                               {5, 6, 7, 8, 9}));
  test::write_file(h.root / "etc/ssh/sshd_config", "PermitRootLogin yes\nPasswordAuthentication no\n");
  auto before = log.size();
  REQUIRE(h.scan_now("Vulnerability"));
  REQUIRE(h.scan_now("PolicyCompliance"));
  REQUIRE(h.wait_in_sync(30s));
  log = request_log(h.platform);
  auto delta = delta_bytes(log, "Vulnerability", before);
  MESSAGE("Vulnerability: full snapshot " << full_bytes << " bytes on the wire, delta of 45 rows "
                                          << delta << " bytes");
  CHECK(delta > 0);
  CHECK(delta * 10 < full_bytes); // 1.5 % of the rows: far below the full snapshot
  CHECK(delta_bytes(log, "PolicyCompliance", before) > 0);
  CHECK(applied_at_most_once(log));
  // A scan that finds nothing new sends nothing.
  before = log.size();
  REQUIRE(h.scan_now("Vulnerability"));
  CHECK(test::wait_until([&] { return in_sync(h.platform, h.root); }, 10s));
  CHECK(delta_bytes(request_log(h.platform), "Vulnerability", before) == 0);
  agent->signal(SIGTERM);
  CHECK(agent->wait() == 0);
}

TEST_CASE("upload: with the platform away the delta stays pending and ScanOnDemand=1 waits") {
  synced_host h{500};
  auto agent = test::start_agent(h.root);
  REQUIRE(h.wait_in_sync(60s));
  h.platform.terminate();
  test::write_file(h.root / "etc/ssh/sshd_config", "PermitRootLogin prohibit-password\n");
  // The scan runs and completes; its delta cannot leave.
  REQUIRE(h.scan_now("PolicyCompliance"));
  CHECK(test::snapshot_rows(h.root, "PolicyCompliance")
        != test::platform_rows(h.platform, test::host_id_of(h.root), "PolicyCompliance"));
  // A new request waits for the pending delta: the value stays 1.
  REQUIRE(test::reg_add(h.root, "ScanOnDemand\\PolicyCompliance", "ScanOnDemand", "REG_DWORD", "1") == 0);
  CHECK_FALSE(test::wait_until(
    [&] { return test::on_demand_value(h.root, "PolicyCompliance") != 1u; }, 3s));
  // The delta survives a restart of the agent, too.
  agent->signal(SIGTERM);
  REQUIRE(agent->wait() == 0);
  agent = test::start_agent(h.root);
  CHECK_FALSE(test::wait_until(
    [&] { return test::on_demand_value(h.root, "PolicyCompliance") != 1u; }, 2s));
  h.platform.start();
  CHECK(test::wait_until([&] { return test::on_demand_value(h.root, "PolicyCompliance") == 0u; }, 60s));
  CHECK(h.wait_in_sync(30s));
  CHECK(applied_at_most_once(request_log(h.platform)));
  agent->signal(SIGTERM);
  CHECK(agent->wait() == 0);
}

namespace {

/// Changes a few files of the root the way a host changes between scans.
void mutate(const fs::path& root, std::mt19937& random, int round) {
  auto bump = static_cast<int>(random() % 40);
  test::write_file(root / "var/lib/dpkg/status",
                   dpkg_status(2000 + round % 7, [&](int i) {
                     return version_of(i) + (i % 40 == bump ? "-r" + std::to_string(round) : "");
                   }, {static_cast<int>(random() % 2000)}));
  if (round % 3 == 0)
    test::write_file(root / "etc/ssh/sshd_config",
                     "PermitRootLogin no\nMaxAuthTries " + std::to_string(round) + "\n");
  if (round % 4 == 0)
    test::write_file(root / ("etc/cron.d/job" + std::to_string(round % 3)), "# " + std::to_string(round) + "\n");
}

} // namespace

TEST_CASE("upload: 50 SIGKILLs of the agent during scans and uploads lose and duplicate nothing") {
  synced_host h{2000, {"ScanIntervalSeconds=1"}};
  std::mt19937 random{std::random_device{}()};
  size_t kills_with_upload_in_flight = 0;
  for (int round = 0; round < 50; ++round) {
    mutate(h.root, random, round);
    auto agent = test::start_agent(h.root);
    if (round % 5 == 0) // on-demand requests too, some of them waiting on a pending delta
      (void) test::reg_add(h.root, "ScanOnDemand\\Vulnerability", "ScanOnDemand", "REG_DWORD", "1");
    auto log_before = h.platform.request_log().size();
    // The random moment of the kill is what this test is about.
    std::this_thread::sleep_for(std::chrono::milliseconds{100 + random() % 1400});
    agent->signal(SIGKILL);
    agent->wait();
    if (h.platform.request_log().substr(log_before).find("/v1/deltas/") != std::string::npos)
      ++kills_with_upload_in_flight;
  }
  MESSAGE(kills_with_upload_in_flight << " of 50 kills came while deltas were moving");
  CHECK(kills_with_upload_in_flight > 10);
  // Settle: the last restart runs to completion.
  auto agent = test::start_agent(h.root);
  REQUIRE(h.wait_in_sync(90s));
  size_t applied = 0;
  CHECK(applied_at_most_once(request_log(h.platform), &applied));
  MESSAGE(applied << " deltas applied, each once");
  CHECK(applied > 50);
  agent->signal(SIGTERM);
  CHECK(agent->wait() == 0);
}

TEST_CASE("upload: 50 SIGKILLs of the platform during uploads lose and duplicate nothing") {
  synced_host h{2000, {"ScanIntervalSeconds=1"}};
  std::mt19937 random{std::random_device{}()};
  auto agent = test::start_agent(h.root);
  for (int round = 0; round < 50; ++round) {
    mutate(h.root, random, round);
    std::this_thread::sleep_for(std::chrono::milliseconds{100 + random() % 900});
    h.platform.kill();
    h.platform.start();
  }
  REQUIRE(h.wait_in_sync(90s));
  size_t applied = 0;
  CHECK(applied_at_most_once(request_log(h.platform), &applied));
  MESSAGE(applied << " deltas applied, each once");
  CHECK(applied > 20);
  agent->signal(SIGTERM);
  CHECK(agent->wait() == 0);
}
