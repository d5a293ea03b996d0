// Corrupt stored state (issue 15, defect 9): a truncated or garbled value in
// the agent's RocksDB store, its hive or its status file is
// logged, reported by the health check, and rebuilt; the agent never
// crash-loops, never takes a second HostID for the same machine, and is back
// to checking in and uploading deltas, exactly once, within a minute.
//
// Each case stops the real agent of a synced host, damages one kind of stored
// value with the agent's own storage code (as a bad sector or a half-restored
// backup would leave it), starts the agent again and waits for the recovery.

#include <doctest/doctest.h>
#include <csignal>
#include <functional>
#include <random>

#include <nlohmann/json.hpp>

#include "host/agent_status.hpp"
#include "host/paths.hpp"
#include "storage/kv_store.hpp"
#include "storage/rocksdb_store.hpp"
#include "tests/actors/synced_host.hpp"

using namespace vigil;
using namespace vigil::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

/// Bytes no stored value of the agent is: not a number, not JSON, not a
/// sealed box, not a delta.
const std::string garbage = std::string{"\x01\xff{garbled", 10} + std::string(3, '\0') + "7";

/// The agent's store of `root`, opened as the agent opens it.
std::unique_ptr<kv_store> open_store(const fs::path& root) {
  auto store = rocksdb_store::open(paths{root}.store_dir(), agent_columns());
  REQUIRE_MESSAGE(store, "cannot open the agent's store");
  return std::move(*store);
}

/// Replaces every value of `column` whose key starts with `prefix` by
/// garbage; returns how many there were.
size_t garble_column(const fs::path& root, const std::string& column, const std::string& prefix = {}) {
  auto store = open_store(root);
  std::vector<std::string> keys;
  REQUIRE(store->scan(column, prefix, [&](std::string_view key, std::string_view) {
    keys.emplace_back(key);
    return true;
  }));
  for (auto& key : keys)
    REQUIRE(store->put(column, key, garbage, {true}));
  return keys.size();
}

/// The agent's status file, parsed (null when absent or unreadable).
nlohmann::json status_of(const fs::path& root) {
  auto text = read_file(agent_status_file(paths{root}));
  return nlohmann::json::parse(text, nullptr, false);
}

/// Whether the agent process `pid` has checked in (the status file the
/// previous process left counts its check-ins, not this one's).
bool checked_in(const fs::path& root, pid_t pid) {
  auto s = status_of(root);
  return s.is_object() && s.value("pid", 0) == pid && s.value("checkins_since_start", uint64_t{0}) > 0;
}

/// `vigil-healthcheck` of `root`: its JSON report. The root is prepared, not
/// installed: the agent program is linked where setup would put it.
nlohmann::json health_report(const fs::path& root) {
  auto installed = root / "opt/vigil/bin/vigil-agent";
  fs::create_directories(installed.parent_path());
  if (!fs::exists(installed))
    fs::create_symlink(program("vigil-agent"), installed);
  auto out_dir = root.parent_path() / "health";
  fs::remove_all(out_dir);
  run({program("vigil-healthcheck").string(), "--root", root.string(), "--output-dir",
       out_dir.string()});
  for (auto& entry : fs::directory_iterator(out_dir))
    if (entry.path().extension() == ".json")
      return nlohmann::json::parse(read_file(entry.path()), nullptr, false);
  return nullptr;
}

/// The `ErrorDescription`s of the report's `ErrorMessages` named `name`.
std::vector<std::string> errors_named(const nlohmann::json& report, const std::string& name) {
  std::vector<std::string> out;
  if (report.is_object())
    for (auto& e : report.value("ErrorMessages", nlohmann::json::array()))
      if (e.value("ErrorName", "") == name)
        out.push_back(e.value("ErrorDescription", ""));
  return out;
}

/// How many hosts the platform lists.
size_t hosts_listed(const platform_process& platform) {
  auto a = assets(platform);
  return a.is_array() ? a.size() : 0;
}

/// What a case damages, given the host and a function that stops its agent
/// (called before the damage: the store is the agent's alone while it runs).
using damage_fn = std::function<void(synced_host&, const std::function<void()>& stop)>;

/// The whole story of one kind of corruption: a host in sync; `damage`
/// applied with the agent stopped (`damage` may also stop the platform, which
/// is started again before the agent); the agent started again. It must stay up,
/// keep its HostID, check in, say in Agent.log and in the health check that
/// `what` was rebuilt, and bring a new change to the platform exactly once.
void recovers_from(const std::string& what, const damage_fn& damage) {
  synced_host h{400};
  auto agent = start_agent(h.root);
  REQUIRE(h.wait_in_sync(60s));
  auto host_id = host_id_of(h.root);
  REQUIRE_FALSE(host_id.empty());
  damage(h, [&] {
    agent->signal(SIGTERM);
    REQUIRE(agent->wait() == 0);
  });
  h.platform.start();
  agent = start_agent(h.root);
  // Back to checking in, with the same HostID and one host on the platform.
  if (!wait_until([&] { return checked_in(h.root, agent->pid()) || agent->exited(); }, 60s)
      || agent->exited()) {
    h.dump_logs();
    MESSAGE("agent output:\n" << read_file(h.root.string() + ".agent.out"));
    FAIL("the agent did not check in again after its " << what << " was damaged");
  }
  CHECK(host_id_of(h.root) == host_id);
  CHECK(hosts_listed(h.platform) == 1);
  // And uploading: a change reaches the platform, exactly once.
  write_file(h.root / "etc/ssh/sshd_config", "PermitRootLogin no\nMaxAuthTries 2\n");
  REQUIRE(h.scan_now("PolicyCompliance", 60s));
  CHECK(h.wait_in_sync(60s));
  CHECK(applied_at_most_once(request_log(h.platform)));
  CHECK_FALSE(agent->exited());
  // Said plainly: in Agent.log and in the health check.
  auto log = read_file(h.root / "var/opt/vigil/Log/Agent.log");
  CHECK_MESSAGE(log.find("corrupt") != std::string::npos, "Agent.log:\n" << log);
  auto report = health_report(h.root);
  auto recovered = errors_named(report, "state_rebuilt");
  CHECK_MESSAGE(!recovered.empty(), "no state_rebuilt entry in the health report:\n"
                                      << report.dump(2) << "\nAgent.log:\n" << log);
  agent->signal(SIGTERM);
  CHECK(agent->wait() == 0);
}

} // namespace

TEST_CASE("corrupt state: every identity, check-in and scan value of the store garbled") {
  recovers_from("meta values", [](synced_host& h, auto& stop) {
    stop();
    CHECK(garble_column(h.root, "meta") > 3);
  });
}

TEST_CASE("corrupt state: the stored profile garbled") {
  recovers_from("profile", [](synced_host& h, auto& stop) {
    stop();
    CHECK(garble_column(h.root, "config") == 1);
  });
}

TEST_CASE("corrupt state: the cached manifests garbled") {
  recovers_from("manifests", [](synced_host& h, auto& stop) {
    stop();
    CHECK(garble_column(h.root, "manifest") >= 2);
  });
}

TEST_CASE("corrupt state: the upload cursors garbled") {
  recovers_from("cursors", [](synced_host& h, auto& stop) {
    stop();
    CHECK(garble_column(h.root, "cursor") >= 2);
  });
}

TEST_CASE("corrupt state: the baselines garbled") {
  recovers_from("baselines", [](synced_host& h, auto& stop) {
    stop();
    CHECK(garble_column(h.root, "baseline") >= 2);
  });
}

TEST_CASE("corrupt state: a pending delta garbled") {
  recovers_from("pending delta", [](synced_host& h, auto& stop) {
    h.platform.terminate();
    write_file(h.root / "etc/ssh/sshd_config", "PermitRootLogin prohibit-password\n");
    REQUIRE(h.scan_now("PolicyCompliance"));
    stop();
    CHECK(garble_column(h.root, "pending") >= 1);
  });
}

TEST_CASE("corrupt state: the hive's HostID, ScanOnDemand and CpuLimit garbled") {
  recovers_from("hive values", [](synced_host& h, auto& stop) {
    stop();
    REQUIRE(reg_add(h.root, "", "HostID", "REG_SZ", "not-a-guid") == 0);
    REQUIRE(reg_add(h.root, "ScanOnDemand\\Vulnerability", "ScanOnDemand", "REG_SZ", "soon") == 0);
    REQUIRE(reg_add(h.root, "", "CpuLimit", "REG_SZ", "fast") == 0);
  });
}

TEST_CASE("corrupt state: the status file truncated") {
  recovers_from("status file", [](synced_host& h, auto& stop) {
    stop();
    auto status = agent_status_file(paths{h.root});
    auto text = read_file(status);
    REQUIRE(text.size() > 20);
    write_file(status, text.substr(0, text.size() / 2));
  });
}
