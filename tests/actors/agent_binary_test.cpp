// The real vigil-agent binary in temporary roots against a real vigil-platform.

#include <doctest/doctest.h>
#include <csignal>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "host/agent_status.hpp"
#include "common/signing.hpp"
#include "host/hive_file.hpp"
#include "tests/support/agent.hpp"
#include "tests/support/platform.hpp"
#include "tests/support/temp_dir.hpp"

using namespace vigil;
using nlohmann::json;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

const std::string& agent_path = test::agent_reg_path;
using test::assets;
using test::host_id_of;
using test::listed;
using test::on_demand_value;
using test::prepare_root;
using test::random_machine_id;
using test::start_agent;

/// CPU time (user + system) the process used so far, in clock ticks.
long cpu_ticks(pid_t pid) {
  std::ifstream in{"/proc/" + std::to_string(pid) + "/stat"};
  std::string text{std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
  auto fields = text.substr(text.rfind(')') + 2);
  std::istringstream s{fields};
  std::string skip;
  for (int i = 0; i < 11; ++i)
    s >> skip;
  long utime = 0, stime = 0;
  s >> utime >> stime;
  return utime + stime;
}

/// A dpkg status file of 20,000 packages (pkg0 ... pkg19999) under `root`.
void write_large_package_database(const fs::path& root) {
  std::string status;
  for (int i = 0; i < 20000; ++i)
    status += "Package: pkg" + std::to_string(i) + "\nStatus: install ok installed\nVersion: 1."
              + std::to_string(i) + "\nArchitecture: amd64\n\n";
  test::write_file(root / "var/lib/dpkg/status", status);
}

} // namespace

TEST_CASE("vigil-agent: an incomplete hive is refused, naming what is missing") {
  test::temp_dir dir;
  auto r = test::run({test::program("vigil-agent").string(), "--root", dir.path().string(),
                      "--foreground"});
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("CustomerId is missing") != std::string::npos);
  CHECK(r.err.find("WebServiceUri is missing") != std::string::npos);
}

TEST_CASE("vigil-agent: creates its HostID, provisions, and stops on SIGTERM") {
  test::temp_dir dir;
  test::platform_process platform{dir / "platform"};
  auto root = dir / "host";
  prepare_root(root, platform, platform.create_customer("Vulnerability"));
  auto agent = start_agent(root);
  std::string host_id;
  CHECK(test::wait_until([&] {
    host_id = host_id_of(root);
    return !host_id.empty() && listed(platform, host_id);
  }, 10s));
  // The platform lists the host as soon as it answered; the agent has kept
  // its token once it says it is provisioned (a SIGTERM before that would
  // rightly provision again at the next start).
  CHECK(test::wait_until([&] {
    auto status = load_agent_status(paths{root});
    return status && status->provisioned;
  }, 10s));
  agent->signal(SIGTERM);
  auto started = std::chrono::steady_clock::now();
  CHECK(agent->wait() == 0);
  CHECK(std::chrono::steady_clock::now() - started < 5s);
  // A restart keeps the identity and does not provision again.
  auto log_size = platform.request_log().size();
  auto again = start_agent(root);
  auto starts = [&] {
    auto text = test::read_file(root / "var/opt/vigil/Log/Agent.log");
    size_t n = 0;
    for (auto at = text.find("starting"); at != std::string::npos; at = text.find("starting", at + 1))
      ++n;
    return n;
  };
  CHECK(test::wait_until([&] { return starts() == 2; }, 10s));
  again->signal(SIGTERM);
  CHECK(again->wait() == 0);
  CHECK(host_id_of(root) == host_id);
  CHECK(platform.request_log().substr(log_size).find("v1/provision") == std::string::npos);
}

TEST_CASE("vigil-agent: keeps retrying calmly while the platform is down, then provisions") {
  test::temp_dir dir;
  test::platform_process platform{dir / "platform", false};
  // Customer keys need the platform's data: start it once, then stop it.
  platform.start();
  auto ids = platform.create_customer("Vulnerability");
  auto root = dir / "host";
  prepare_root(root, platform, ids);
  platform.terminate();
  auto agent = start_agent(root);
  auto retried = [&](int n) {
    return test::read_file(root / "var/opt/vigil/Log/Provision.log")
             .find("retry " + std::to_string(n) + " ")
           != std::string::npos;
  };
  // Measure once start-up is over: from the 2nd retry to the 4th (about 6 s).
  REQUIRE(test::wait_until([&] { return retried(2); }, 20s));
  auto before = cpu_ticks(agent->pid());
  auto window_start = std::chrono::steady_clock::now();
  REQUIRE(test::wait_until([&] { return retried(4); }, 30s));
  auto window = std::chrono::duration<double>(std::chrono::steady_clock::now() - window_start);
  auto used = static_cast<double>(cpu_ticks(agent->pid()) - before) / sysconf(_SC_CLK_TCK);
  MESSAGE("while the platform was down: " << used << " s CPU in " << window.count() << " s");
  CHECK(used / window.count() < 0.01);
  auto log = test::read_file(root / "var/opt/vigil/Log/Provision.log");
  CHECK(log.find("connection_refused") != std::string::npos);
  platform.start();
  CHECK(test::wait_until([&] { return listed(platform, host_id_of(root)); }, 30s));
}

TEST_CASE("vigil-agent: a cloned installation gets its own HostID; no duplicate remains") {
  test::temp_dir dir;
  test::platform_process platform{dir / "platform"};
  auto original = dir / "original";
  prepare_root(original, platform, platform.create_customer("Vulnerability"));
  {
    auto agent = start_agent(original);
    REQUIRE(test::wait_until([&] { return listed(platform, host_id_of(original)); }, 10s));
    agent->signal(SIGTERM);
    agent->wait();
  }
  // Copy the installed root (hive, store, everything) to a machine with
  // another machine-id, and a second copy that lost its state directory.
  auto clone = dir / "clone";
  auto bare = dir / "bare-clone";
  std::filesystem::copy(original, clone, std::filesystem::copy_options::recursive);
  std::filesystem::copy(original, bare, std::filesystem::copy_options::recursive);
  test::write_file(clone / "etc/machine-id", random_machine_id());
  test::write_file(bare / "etc/machine-id", random_machine_id());
  std::filesystem::remove_all(bare / "var/opt/vigil/state/store");
  auto a = start_agent(original);
  auto b = start_agent(clone);
  auto c = start_agent(bare);
  CHECK(test::wait_until([&] {
    auto ha = host_id_of(original), hb = host_id_of(clone), hc = host_id_of(bare);
    return ha != hb && hb != hc && ha != hc && listed(platform, ha) && listed(platform, hb)
           && listed(platform, hc);
  }, 20s));
  auto hosts = assets(platform);
  CHECK(hosts.size() == 3);
  for (auto& h : hosts)
    CHECK(h["duplicates"].empty());
  // The bare clone learnt of the duplicate from the platform.
  CHECK(test::read_file(bare / "var/opt/vigil/Log/Provision.log").find("another machine")
        != std::string::npos);
}

namespace {

/// The first child process of `pid` (the supervised agent), or 0.
int child_of(int pid) {
  auto text = test::read_file("/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid)
                              + "/children");
  return text.empty() ? 0 : std::stoi(text);
}

int pidfile_pid(const std::filesystem::path& root) {
  auto text = test::read_file(root / "var/opt/vigil/state/vigil-agent.pid");
  return text.empty() ? 0 : std::stoi(text);
}

bool alive(int pid) {
  return pid > 0 && ::kill(pid, 0) == 0
         && test::read_file("/proc/" + std::to_string(pid) + "/stat").find(") Z") == std::string::npos;
}

} // namespace

TEST_CASE("vigil-agent: without --foreground it supervises itself and restarts after a crash") {
  test::temp_dir dir;
  test::platform_process platform{dir / "platform"};
  auto root = dir / "host";
  prepare_root(root, platform, platform.create_customer("Vulnerability"));
  auto started = test::run({test::program("vigil-agent").string(), "--root", root.string()});
  REQUIRE(started.exit_code == 0); // the parent returns once detached
  int supervisor = 0, worker = 0;
  REQUIRE(test::wait_until([&] {
    supervisor = pidfile_pid(root);
    worker = supervisor ? child_of(supervisor) : 0;
    return worker > 0;
  }, 10s));
  // A second start refuses: one agent per root.
  CHECK(test::run({test::program("vigil-agent").string(), "--root", root.string()}).exit_code == 1);
  ::kill(worker, SIGKILL);
  int restarted = 0;
  CHECK(test::wait_until([&] {
    restarted = child_of(supervisor);
    return restarted > 0 && restarted != worker;
  }, 10s));
  CHECK(test::wait_until([&] { return listed(platform, host_id_of(root)); }, 10s));
  ::kill(supervisor, SIGTERM);
  CHECK(test::wait_until([&] { return !alive(supervisor) && !alive(restarted); }, 10s));
  CHECK_FALSE(std::filesystem::exists(root / "var/opt/vigil/state/vigil-agent.pid"));
}

TEST_CASE("vigil-agent: Logs\\TraceLevel written by vigil-reg applies at once, no restart") {
  test::temp_dir dir;
  test::platform_process platform{dir / "platform"};
  auto root = dir / "host";
  prepare_root(root, platform, platform.create_customer("Vulnerability"));
  auto agent = start_agent(root);
  REQUIRE(test::wait_until([&] { return listed(platform, host_id_of(root)); }, 10s));
  auto r = test::run({test::program("vigil-reg").string(), "--root", root.string(), "add",
                      agent_path + "\\Logs", "/v", "TraceLevel", "/t", "REG_DWORD", "/d", "6", "/f"});
  REQUIRE(r.exit_code == 0);
  auto written = std::chrono::steady_clock::now();
  // SPEC §2: the agent reacts within one second.
  CHECK(test::wait_until([&] {
    return test::read_file(root / "var/opt/vigil/Log/Agent.log").find("TraceLevel is now 6")
           != std::string::npos;
  }, 1s));
  MESSAGE("applied and visible after "
          << std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now()
                                                                   - written)
               .count()
          << " ms");
  agent->signal(SIGTERM);
  CHECK(agent->wait() == 0);
}

TEST_CASE("vigil-agent: checks in, follows profile changes live and caches manifests") {
  test::temp_dir dir;
  test::platform_process platform{dir / "platform"};
  auto root = dir / "host";
  auto ids = platform.create_customer("Vulnerability");
  auto set = [&](std::vector<std::string> assignments) {
    std::vector<std::string> argv{test::program("vigil-platform").string(), "profile", "set",
                                  "--data-dir", platform.data_dir().string(), "--activation",
                                  ids.second};
    argv.insert(argv.end(), assignments.begin(), assignments.end());
    REQUIRE(test::run(argv).exit_code == 0);
  };
  set({"CapiIntervalSeconds=1"});
  prepare_root(root, platform, ids);
  auto agent = start_agent(root);
  auto config_log = [&] { return test::read_file(root / "var/opt/vigil/Log/Config.log"); };
  auto checked_in = [&] {
    for (auto& h : assets(platform))
      if (h["host_id"] == host_id_of(root))
        return h["last_checkin"].get<int64_t>() > 0;
    return false;
  };
  CHECK(test::wait_until(checked_in, 15s));
  CHECK(test::wait_until([&] {
    return config_log().find("manifest Vulnerability version 1 verified and cached")
           != std::string::npos;
  }, 10s));
  // A change at the platform reaches the running agent at its next check-in.
  set({"LogLevel=debug"});
  CHECK(test::wait_until([&] {
    return config_log().find("log level debug") != std::string::npos;
  }, 10s));
  agent->signal(SIGTERM);
  REQUIRE(agent->wait() == 0);
  // A restart without the platform works from the stored profile.
  platform.terminate();
  auto again = start_agent(root);
  CHECK(test::wait_until([&] {
    return config_log().find("starting from the stored profile") != std::string::npos;
  }, 10s));
  again->signal(SIGTERM);
  CHECK(again->wait() == 0);
}


TEST_CASE("vigil-agent: ScanOnDemand 1 -> 2 -> 0, refused for a module that is not activated") {
  test::temp_dir dir;
  test::platform_process platform{dir / "platform"};
  auto root = dir / "host";
  auto ids = platform.create_customer("Vulnerability");
  prepare_root(root, platform, ids);
  // A large package database, so that a scan at 2 % CPU lasts long enough to
  // see the value 2.
  write_large_package_database(root);
  auto agent = start_agent(root);
  // The first scheduled scan runs once the manifest is cached.
  if (!test::wait_until([&] {
        return fs::exists(root / "var/opt/vigil/state/snapshots/Vulnerability.jsonl");
      }, 30s)) {
    MESSAGE(test::read_file(root / "var/opt/vigil/Log/Vulnerability.log"));
    MESSAGE(test::read_file(root / "var/opt/vigil/Log/Config.log"));
    MESSAGE(test::read_file(root / "var/opt/vigil/Log/Agent.log"));
    FAIL("no first scan");
  }
  REQUIRE(test::wait_until([&] { return on_demand_value(root, "Vulnerability") == 0u; }, 10s));
  auto reg = [&](const std::string& module, const std::string& name, const std::string& data) {
    return test::run({test::program("vigil-reg").string(), "--root", root.string(), "add",
                      agent_path + "\\ScanOnDemand\\" + module, "/v", name, "/t", "REG_DWORD",
                      "/d", data, "/f"})
      .exit_code;
  };
  REQUIRE(reg("Vulnerability", "CpuLimit", "2") == 0);
  REQUIRE(reg("Vulnerability", "ScanOnDemand", "1") == 0);
  auto requested = std::chrono::steady_clock::now();
  CHECK(test::wait_until([&] { return on_demand_value(root, "Vulnerability") == 2u; }, 2s));
  MESSAGE("on-demand scan started after "
          << std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now()
                                                                   - requested)
               .count()
          << " ms");
  CHECK(test::wait_until([&] { return on_demand_value(root, "Vulnerability") == 0u; }, 60s));
  auto snapshot = test::run({test::program("vigil-agent").string(), "--root", root.string(),
                             "snapshot", "Vulnerability"});
  CHECK(snapshot.exit_code == 0);
  CHECK(snapshot.out.find("pkg19999") != std::string::npos);
  // CpuLimit 1, 101 and a string fall back to 100 (SPEC §8). Each scan is
  // counted by its "started" line, which names the limit it ran under.
  auto started_at_100 = [&] {
    auto text = test::read_file(root / "var/opt/vigil/Log/Vulnerability.log");
    size_t n = 0;
    const std::string line = "on-demand scan of Vulnerability started (manifest v1, CPU limit 100 %)";
    for (auto at = text.find(line); at != std::string::npos; at = text.find(line, at + 1))
      ++n;
    return n;
  };
  for (auto& limit : std::vector<std::string>{"1", "101", "string"}) {
    CAPTURE(limit);
    REQUIRE(test::wait_until([&] { return on_demand_value(root, "Vulnerability") == 0u; }, 30s));
    auto before = started_at_100();
    if (limit == "string")
      REQUIRE(test::run({test::program("vigil-reg").string(), "--root", root.string(), "add",
                         agent_path + "\\ScanOnDemand\\Vulnerability", "/v", "CpuLimit", "/d",
                         "50", "/f"})
                .exit_code
              == 0);
    else
      REQUIRE(reg("Vulnerability", "CpuLimit", limit) == 0);
    REQUIRE(reg("Vulnerability", "ScanOnDemand", "1") == 0);
    // The log is flushed every few seconds: wait for the line, not for a time.
    CHECK(test::wait_until([&] { return started_at_100() == before + 1; }, 30s));
  }
  // UDC is not activated: never scanned, its value stays 1.
  REQUIRE(reg("UDC", "ScanOnDemand", "1") == 0);
  CHECK_FALSE(test::wait_until([&] { return on_demand_value(root, "UDC") != 1u; }, 1500ms));
  CHECK_FALSE(fs::exists(root / "var/opt/vigil/state/snapshots/UDC.jsonl"));
  agent->signal(SIGTERM);
  CHECK(agent->wait() == 0);
}

TEST_CASE("vigil-agent: ScanOnStartup=1 scans when the service starts") {
  test::temp_dir dir;
  test::platform_process platform{dir / "platform"};
  auto root = dir / "host";
  prepare_root(root, platform, platform.create_customer("Vulnerability"));
  auto log = [&] { return test::read_file(root / "var/opt/vigil/Log/Vulnerability.log"); };
  {
    auto agent = start_agent(root);
    REQUIRE(test::wait_until([&] {
      return log().find("scheduled scan of Vulnerability done") != std::string::npos;
    }, 30s));
    agent->signal(SIGTERM);
    REQUIRE(agent->wait() == 0);
  }
  REQUIRE(test::run({test::program("vigil-reg").string(), "--root", root.string(), "add",
                     agent_path + "\\ScanOnDemand\\Vulnerability", "/v", "ScanOnStartup", "/t",
                     "REG_DWORD", "/d", "1", "/f"})
            .exit_code
          == 0);
  auto agent = start_agent(root);
  // Within the interval (4 h) no scheduled scan is due: only the startup
  // request explains a scan now.
  CHECK(test::wait_until([&] {
    return log().find("startup scan of Vulnerability done") != std::string::npos;
  }, 10s));
  agent->signal(SIGTERM);
  CHECK(agent->wait() == 0);
}

TEST_CASE("vigil-agent: a manifest not signed by the pinned key is refused, never run, and "
          "reported") {
  test::temp_dir dir;
  test::platform_process platform{dir / "platform"};
  auto root = dir / "host";
  prepare_root(root, platform, platform.create_customer("Vulnerability"));
  // Pin a key the platform does not hold: as if the manifests came from an
  // impostor (a compromised front end, a TLS path someone controls).
  auto other = signing_key::generate();
  REQUIRE(other);
  REQUIRE(test::reg_add(root, "Trust", "RootKey", "REG_SZ", other->public_key_text()) == 0);
  auto agent = start_agent(root);
  CHECK(test::wait_until([&] {
    auto log = test::read_file(root / "var/opt/vigil/Log/Config.log");
    return log.find("manifest Inventory refused: signature_invalid") != std::string::npos;
  }, 20s));
  CHECK(test::wait_until([&] {
    auto status = load_agent_status(paths{root});
    auto* m = status ? status->find_module("Inventory") : nullptr;
    return m != nullptr && m->last_error_code == "signature_invalid";
  }, 10s));
  // Nothing ran: no manifest cached, no snapshot written.
  CHECK_FALSE(fs::exists(root / "var/opt/vigil/state/snapshots/Inventory.jsonl"));
  agent->signal(SIGTERM);
  CHECK(agent->wait() == 0);
  // The platform's own key pinned: the same manifests verify and run.
  auto key = test::read_file(platform.trust_key_file());
  key.pop_back();
  REQUIRE(test::reg_add(root, "Trust", "RootKey", "REG_SZ", key) == 0);
  auto again = start_agent(root);
  CHECK(test::wait_until(
    [&] { return fs::exists(root / "var/opt/vigil/state/snapshots/Inventory.jsonl"); }, 30s));
  again->signal(SIGTERM);
  CHECK(again->wait() == 0);
}

TEST_CASE("vigil-agent: SIGTERM during a long scan exits within 2 s, status 0, and the scan "
          "runs again at the next start") {
  test::temp_dir dir;
  test::platform_process platform{dir / "platform"};
  auto root = dir / "host";
  auto ids = platform.create_customer("Vulnerability");
  prepare_root(root, platform, ids);
  // 20,000 packages at 2 % CPU: a scan of many seconds.
  write_large_package_database(root);
  auto agent = start_agent(root);
  REQUIRE(test::wait_until(
    [&] { return fs::exists(root / "var/opt/vigil/state/snapshots/Vulnerability.jsonl"); }, 30s));
  REQUIRE(test::wait_until([&] { return on_demand_value(root, "Vulnerability") == 0u; }, 10s));
  REQUIRE(test::reg_add(root, "ScanOnDemand\\Vulnerability", "CpuLimit", "REG_DWORD", "2") == 0);
  REQUIRE(test::reg_add(root, "ScanOnDemand\\Vulnerability", "ScanOnDemand", "REG_DWORD", "1")
          == 0);
  REQUIRE(test::wait_until([&] { return on_demand_value(root, "Vulnerability") == 2u; }, 5s));
  agent->signal(SIGTERM);
  auto signalled = std::chrono::steady_clock::now();
  CHECK(agent->wait() == 0);
  auto took = std::chrono::steady_clock::now() - signalled;
  MESSAGE("stopped " << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
                     << " ms after SIGTERM, mid-scan");
  CHECK(took < 2s);
  // The agent stopped cleanly rather than being cut short.
  CHECK(test::read_file(root / "var/opt/vigil/Log/Agent.log").find("actors did not stop")
        == std::string::npos);
  // Nothing torn: the next start opens its store and runs the interrupted scan.
  auto again = start_agent(root);
  CHECK(test::wait_until([&] {
    return test::read_file(root / "var/opt/vigil/Log/Vulnerability.log").find("interrupted scan")
           != std::string::npos;
  }, 20s));
  again->signal(SIGTERM);
  CHECK(again->wait() == 0);
}
