// Self-patching end to end (SPEC §12, issue 13): a real vigil-platform offers
// a release, a real agent installed by vigil-setup downloads, verifies and
// installs it, and its upgrade watcher proves it or rolls it back.

#include <doctest/doctest.h>
#include <fstream>

#include <algorithm>
#include <csignal>
#include <fcntl.h>
#include <unistd.h>
#include <functional>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "common/release_metadata.hpp"
#include "common/sha256.hpp"
#include "common/signed_document.hpp"
#include "common/signing.hpp"
#include "host/agent_status.hpp"
#include "host/upgrade_marker.hpp"
#include "platform/rollout.hpp"
#include "tests/actors/synced_host.hpp"
#include "tests/support/agent.hpp"
#include "tests/support/platform.hpp"
#include "tests/support/servers.hpp"
#include "tests/support/seed.hpp"
#include "tests/support/temp_dir.hpp"
#include "vigil_test_config.hpp"

using namespace vigil;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

/// `vigil-platform release add` of `setup`; its output ("Version=X.Y.Z").
std::string add_release(const test::platform_process& platform, const fs::path& setup,
                        const std::vector<std::string>& options = {}) {
  std::vector<std::string> argv{test::program("vigil-platform").string(), "release", "add",
                                "--data-dir", platform.data_dir().string(), setup.string()};
  argv.insert(argv.end(), options.begin(), options.end());
  auto r = test::run(argv);
  CAPTURE(r.err);
  REQUIRE(r.exit_code == 0);
  return r.out;
}

/// A host installed by vigil-setup against the platform, checking in every 2 s;
/// with `relayed`, through a `hostile_relay` (whoever holds its TLS path).
struct fleet_host {
  test::temp_dir dir;
  test::platform_process platform{dir / "platform"};
  std::pair<std::string, std::string> ids = platform.create_customer("Vulnerability");
  fs::path root = dir / "host";
  std::optional<test::hostile_relay> relay;

  explicit fleet_host(bool relayed = false) {
    REQUIRE(test::set_profile(platform, ids.second, {"CapiIntervalSeconds=2"}) == 0);
    if (relayed)
      relay.emplace(dir / "relay", platform.data_dir(), platform.port());
    test::install_agent(root, platform, ids, {}, relayed ? relay->web_service_uri() : "");
    REQUIRE(test::reg_add(root, "SelfPatch", "WatchSeconds", "REG_DWORD", "30") == 0);
    REQUIRE(test::wait_until([&] { return upgrade_state().has_value(); }, 20s));
  }

  ~fleet_host() {
    test::run({(root / "opt/vigil/bin/vigil-uninstall").string(), "--root", root.string(),
               "Uninstall=True"});
  }

  std::string release_add(const fs::path& setup, const std::vector<std::string>& options = {}) {
    return add_release(platform, setup, options);
  }

  std::string version() const {
    return test::read_file(root / "opt/vigil/VERSION");
  }

  /// The host's `upgrade` object in `assets --json`, once it is listed.
  std::optional<nlohmann::json> upgrade_state() const {
    for (auto& h : test::assets(platform))
      if (h["host_id"] == test::host_id_of(root))
        return h.value("upgrade", nlohmann::json::object());
    return std::nullopt;
  }

  std::string marker_state() const {
    auto m = load_upgrade_marker(paths{root});
    return m ? m->state : std::string{};
  }

  /// Stops the installed agent (its supervisor), runs `meanwhile`, starts it
  /// again as the service does, and waits until it checked in.
  void restart_agent(const std::function<void()>& meanwhile) {
    auto pid_text = test::read_file(root / "var/opt/vigil/state/vigil-agent.pid");
    int pid = pid_text.empty() ? 0 : std::stoi(pid_text);
    REQUIRE(pid > 0);
    ::kill(pid, SIGTERM);
    REQUIRE(test::wait_until([&] { return ::kill(pid, 0) != 0; }, 15s));
    meanwhile();
    auto started_at = unix_now();
    REQUIRE(test::run({(root / "opt/vigil/bin/vigil-agent").string(), "--root", root.string()})
              .exit_code == 0);
    REQUIRE(test::wait_until([&] {
      auto s = load_agent_status(paths{root});
      return s && s->started_at >= started_at && s->last_checkin >= started_at;
    }, 30s));
  }
};

/// The package requests (`GET .../v1/releases/VERSION/package`) in the
/// platform's request log, in order.
std::vector<test::logged_request> package_requests(const test::platform_process& platform,
                                                   const std::string& version) {
  std::vector<test::logged_request> out;
  for (auto& r : test::request_log(platform))
    if (r.method == "GET" && r.target.ends_with("/v1/releases/" + version + "/package"))
      out.push_back(r);
  return out;
}

/// The first byte a logged `range=FIRST-LAST` outcome names.
std::optional<uint64_t> range_start(const std::string& outcome) {
  auto dash = outcome.find('-');
  if (!outcome.starts_with("range=") || dash == std::string::npos)
    return std::nullopt;
  return std::stoull(outcome.substr(6, dash - 6));
}

/// `test::wait_until` for conditions that run the platform's admin commands:
/// polled every 250 ms rather than every few, so the hosts keep the CPU.
bool wait_paced(const std::function<bool()>& condition, std::chrono::milliseconds deadline) {
  return test::wait_until(
    [&] {
      if (condition())
        return true;
      std::this_thread::sleep_for(250ms);
      return false;
    },
    deadline);
}

/// Seconds since `since`, for the numbers the tests report.
double seconds_since(std::chrono::steady_clock::time_point since) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now()
                                                                  - since);
  return static_cast<double>(ms.count()) / 1000;
}

/// Hosts installed by vigil-setup under one platform, each in a root of its
/// own (its own machine-id, so its own HostID), licensed for the modules the
/// delta tests sync, checking in every 2 s, with a 30 s upgrade watch.
struct fleet {
  test::temp_dir dir;
  test::platform_process platform{dir / "platform"};
  std::pair<std::string, std::string> ids =
    platform.create_customer("Vulnerability,PolicyCompliance");
  std::vector<fs::path> roots;
  std::vector<std::string> host_ids;
  int round = 0; ///< package database generations written

  /// `hosts` hosts; with `host_ids`, each keeps the HostID given (as a host
  /// reinstalled after `Uninstall=True` keeps its own).
  explicit fleet(size_t hosts, const std::vector<std::string>& given = {}) {
    REQUIRE(test::set_profile(platform, ids.second, {"CapiIntervalSeconds=2"}) == 0);
    for (size_t i = 0; i < hosts; ++i) {
      auto root = dir / ("host" + std::to_string(i));
      test::write_host_files(root, 300);
      if (i < given.size())
        REQUIRE(test::reg_add(root, "", "HostID", "REG_SZ", given[i]) == 0);
      test::install_agent(root, platform, ids);
      REQUIRE(test::reg_add(root, "SelfPatch", "WatchSeconds", "REG_DWORD", "30") == 0);
      roots.push_back(root);
    }
    for (auto& root : roots) {
      REQUIRE(test::wait_until([&] { return !test::host_id_of(root).empty(); }, 30s));
      host_ids.push_back(test::host_id_of(root));
    }
  }

  ~fleet() {
    for (auto& root : roots)
      test::run({(root / "opt/vigil/bin/vigil-uninstall").string(), "--root", root.string(),
                 "Uninstall=True"});
  }

  std::string version(size_t i) const {
    return test::read_file(roots[i] / "opt/vigil/VERSION");
  }

  /// Each host's entry in `assets --json`, by host index (one run of the
  /// platform's admin command for the whole fleet).
  std::map<size_t, nlohmann::json> assets() const {
    std::map<size_t, nlohmann::json> out;
    for (auto& h : test::assets(platform))
      for (size_t i = 0; i < host_ids.size(); ++i)
        if (h["host_id"] == host_ids[i])
          out[i] = h;
    return out;
  }

  std::string marker_state(size_t i) const {
    auto m = load_upgrade_marker(paths{roots[i]});
    return m ? m->state : std::string{};
  }

  /// Whether every host of `hosts` runs `to` and the platform shows its
  /// upgrade to it succeeded.
  bool upgraded(const std::set<size_t>& hosts, const std::string& to) const {
    for (auto i : hosts)
      if (version(i) != to + "\n")
        return false;
    auto all = assets();
    for (auto i : hosts) {
      auto a = all.find(i);
      if (a == all.end() || a->second.value("agent_version", "") != to
          || a->second["upgrade"].value("state", "") != "succeeded"
          || a->second["upgrade"].value("target", "") != to)
        return false;
    }
    return true;
  }

  /// Whether every host of `hosts` checked in at `at` or later.
  bool checked_in_since(const std::set<size_t>& hosts, int64_t at) const {
    auto all = assets();
    for (auto i : hosts)
      if (!all.count(i) || all[i].value("last_checkin", int64_t{0}) < at)
        return false;
    return true;
  }

  std::set<size_t> all() const {
    std::set<size_t> out;
    for (size_t i = 0; i < roots.size(); ++i)
      out.insert(i);
    return out;
  }

  /// With the platform stopped, every host scans a changed package database:
  /// its Vulnerability delta cannot go and stays pending, and the uploader
  /// backs off. Returns each host's pending sequence number; the platform
  /// stays stopped.
  std::vector<uint64_t> make_pending_deltas() {
    std::vector<size_t> log_sizes;
    for (auto& root : roots)
      log_sizes.push_back(test::read_file(root / "var/opt/vigil/Log/Upload.log").size());
    platform.terminate();
    ++round;
    for (auto& root : roots) {
      test::write_file(root / "var/lib/dpkg/status",
                       test::dpkg_status(300, [&](int i) {
                         return test::version_of(i) + (i % 50 == 0 ? "-r" + std::to_string(round) : "");
                       }));
      REQUIRE(test::reg_add(root, "ScanOnDemand\\Vulnerability", "ScanOnDemand", "REG_DWORD", "1")
              == 0);
    }
    std::vector<uint64_t> seqs;
    for (auto& root : roots) {
      uint64_t seq = 0;
      CHECK(test::wait_until(
        [&] {
          auto s = load_agent_status(paths{root});
          auto* m = s ? s->find_module("Vulnerability") : nullptr;
          seq = m && test::on_demand_value(root, "Vulnerability") == 0u ? m->pending_delta_seq : 0;
          return seq > 0;
        },
        60s));
      seqs.push_back(seq);
    }
    // Each uploader has failed 5 times: its next try is 16 s (+-20 %) away,
    // longer than an upgrade takes, so the pending delta crosses it.
    for (size_t i = 0; i < roots.size(); ++i)
      CHECK(test::wait_until(
        [&] {
          return test::read_file(roots[i] / "var/opt/vigil/Log/Upload.log")
                   .find("(attempt 5)", log_sizes[i])
                 != std::string::npos;
        },
        60s));
    return seqs;
  }
};

} // namespace

TEST_CASE("self-patch: TargetVersion upgrades the agent; identity kept; the platform sees "
          "succeeded; an altered package is refused and the host stays") {
  fleet_host h;
  auto host = test::host_id_of(h.root);
  auto newer = test::setup_of_version(h.dir.path(), "0.2.0");
  CHECK(h.release_add(newer).find("Version=0.2.0") != std::string::npos);
  auto asked = std::chrono::steady_clock::now();
  REQUIRE(test::set_profile(h.platform, h.ids.second, {"TargetVersion=0.2.0"}) == 0);
  CHECK(test::wait_until([&] { return h.version() == "0.2.0\n"; }, 60s));
  CHECK(test::wait_until([&] {
    auto u = h.upgrade_state();
    return u && u->value("state", "") == "succeeded" && u->value("target", "") == "0.2.0";
  }, 60s));
  MESSAGE("profile set to succeeded at the platform: "
          << std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now()
                                                              - asked)
               .count()
          << " s");
  CHECK(test::host_id_of(h.root) == host);
  CHECK(h.marker_state() == "succeeded");
  CHECK_FALSE(fs::exists(h.root / "opt/vigil.previous"));
  // The platform's request log shows the package fetched in ranged pieces.
  CHECK(h.platform.request_log().find("range=") != std::string::npos);

  // 0.3.0's package is altered after it was signed: refused by its hash.
  auto altered = test::setup_of_version(h.dir.path(), "0.3.0");
  h.release_add(altered);
  auto stored = h.platform.data_dir() / "releases/0.3.0/vigil-setup";
  REQUIRE(fs::exists(stored));
  {
    std::fstream f{stored, std::ios::in | std::ios::out | std::ios::binary};
    f.seekp(static_cast<std::streamoff>(fs::file_size(stored) / 2));
    f.put('\x42');
  }
  REQUIRE(test::set_profile(h.platform, h.ids.second, {"TargetVersion=0.3.0"}) == 0);
  CHECK(test::wait_until([&] {
    auto u = h.upgrade_state();
    return u && u->value("state", "") == "refused"
           && u->value("reason", "").starts_with("hash_mismatch");
  }, 60s));
  CHECK(h.version() == "0.2.0\n");
  CHECK(test::read_file(h.root / "var/opt/vigil/Log/SelfPatch.log").find("refused: hash_mismatch")
        != std::string::npos);
}

TEST_CASE("self-patch: a host on the previous release downloads only a binary patch, rebuilds "
          "the package and checks its signed hash; a damaged patch falls back to the package") {
  fleet_host h;
  // vigil-setup kept the expanded package it installed as the reference.
  auto reference = patch_reference_file(paths{h.root}, "0.1.0");
  REQUIRE(fs::exists(reference));
  auto mode = fs::status(reference).permissions() & fs::perms::all;
  CHECK((mode == (fs::perms::owner_read | fs::perms::owner_write)));
  if (VIGIL_SANITIZE) {
    // Instrumented programs: two expanded packages pass the patch window,
    // which vigil-platform refuses with that reason.
    MESSAGE("patches not tried: a sanitized build's packages exceed the patch window");
    return;
  }
  // The platform holds the release the host runs, and makes a patch from it.
  h.release_add(test::program("vigil-setup"));
  auto newer = test::setup_of_version(h.dir.path(), "0.2.0");
  CHECK(h.release_add(newer, {"--patch-level", "3"}).find("PatchFrom=0.1.0") != std::string::npos);
  auto patch = h.platform.data_dir() / "releases/0.2.0/patch-from-0.1.0.zst";
  REQUIRE(fs::exists(patch));
  MESSAGE("0.1.0 -> 0.2.0 (same programs, another VERSION): patch " << fs::file_size(patch)
          << " bytes, package " << fs::file_size(newer) << " bytes");
  REQUIRE(test::set_profile(h.platform, h.ids.second, {"TargetVersion=0.2.0"}) == 0);
  CHECK(test::wait_until([&] {
    auto u = h.upgrade_state();
    return u && u->value("state", "") == "succeeded" && u->value("target", "") == "0.2.0";
  }, 90s));
  CHECK(h.version() == "0.2.0\n");
  auto self_patch_log = [&] { return test::read_file(h.root / "var/opt/vigil/Log/SelfPatch.log"); };
  CHECK(self_patch_log().find("0.2.0 rebuilt from a binary patch") != std::string::npos);
  CHECK(package_requests(h.platform, "0.2.0").empty()); // the package never travelled
  CHECK(h.platform.request_log().find("/v1/releases/0.2.0/patch/0.1.0") != std::string::npos);
  // The new version's setup keeps its own reference, and only it.
  CHECK(test::wait_until([&] { return fs::exists(patch_reference_file(paths{h.root}, "0.2.0")); }, 10s));
  CHECK_FALSE(fs::exists(reference));

  // 0.3.0's patch is damaged on the platform: the rebuilt bytes cannot match
  // the signed hash, and the whole package is fetched instead.
  auto third = test::setup_of_version(h.dir.path(), "0.3.0");
  CHECK(h.release_add(third, {"--patch-level", "3"}).find("PatchFrom=0.2.0") != std::string::npos);
  auto damaged = h.platform.data_dir() / "releases/0.3.0/patch-from-0.2.0.zst";
  REQUIRE(fs::exists(damaged));
  {
    std::fstream f{damaged, std::ios::in | std::ios::out | std::ios::binary};
    f.seekp(static_cast<std::streamoff>(fs::file_size(damaged) / 2));
    f.put('\x42');
  }
  REQUIRE(test::set_profile(h.platform, h.ids.second, {"TargetVersion=0.3.0"}) == 0);
  CHECK(test::wait_until([&] { return h.version() == "0.3.0\n"; }, 90s));
  CHECK(self_patch_log().find("binary patch to 0.3.0 from 0.2.0 not used") != std::string::npos);
  CHECK_FALSE(package_requests(h.platform, "0.3.0").empty());
}

TEST_CASE("self-patch fleet: RolloutPercent=40 takes exactly the hosts below it; TargetVersion "
          "then upgrades all 5 keeping identity and pending deltas; a canary group that rolls "
          "back halts the rollout before the others download") {
  // HostIDs drawn until 2 fall below 40 and 3 do not (random HostIDs leave
  // one side empty 9 % of the time); each bucket different.
  std::vector<std::string> drawn;
  {
    std::random_device random;
    std::set<int> used;
    int below = 0, above = 0;
    while (drawn.size() < 5) {
      char text[39];
      std::snprintf(text, sizeof text, "{%08X-%04X-4%03X-A%03X-%04X%08X}", random(),
                    random() & 0xFFFF, random() & 0xFFF, random() & 0xFFF, random() & 0xFFFF,
                    random());
      int bucket = platform::rollout_bucket(text);
      bool low = bucket < 40;
      if (used.count(bucket) || (low && below == 2) || (!low && above == 3))
        continue;
      used.insert(bucket);
      (low ? below : above)++;
      drawn.push_back(text);
    }
  }
  fleet f{5, drawn};
  REQUIRE(f.host_ids == drawn);
  for (auto& root : f.roots) {
    std::string difference;
    INFO(root);
    REQUIRE(test::wait_until([&] { return test::in_sync(f.platform, root, &difference); }, 60s));
  }
  std::vector<int> buckets;
  for (auto& host : f.host_ids)
    buckets.push_back(platform::rollout_bucket(host));

  // 1. RolloutPercent=40: the hosts whose bucket is below 40 go to 0.2.0;
  //    the others are not offered it, never download it and report none.
  add_release(f.platform, test::setup_of_version(f.dir.path(), "0.2.0"));
  std::set<size_t> in_rollout;
  for (size_t i = 0; i < buckets.size(); ++i)
    if (buckets[i] < 40)
      in_rollout.insert(i);
  MESSAGE("buckets " << buckets[0] << " " << buckets[1] << " " << buckets[2] << " " << buckets[3]
                     << " " << buckets[4] << ": " << in_rollout.size() << " of 5 below 40");
  auto asked = std::chrono::steady_clock::now();
  auto asked_at = static_cast<int64_t>(std::time(nullptr));
  REQUIRE(test::set_profile(f.platform, f.ids.second,
                            {"TargetVersion=0.2.0", "RolloutPercent=40"}) == 0);
  // ... and every host has checked in twice since.
  CHECK(wait_paced(
    [&] { return f.upgraded(in_rollout, "0.2.0") && f.checked_in_since(f.all(), asked_at + 4); },
    90s));
  MESSAGE("RolloutPercent=40: " << in_rollout.size() << " host(s) upgraded in "
                                << seconds_since(asked) << " s");
  auto assets = f.assets();
  for (size_t i = 0; i < f.roots.size(); ++i) {
    if (in_rollout.count(i))
      continue;
    INFO("host " << i << " bucket " << buckets[i]);
    CHECK(f.version(i) == "0.1.0\n");
    CHECK(f.marker_state(i) == "none");
    REQUIRE(assets.count(i));
    auto& a = assets[i];
    CHECK(a["rollout"] == "not_in_rollout");
    auto state = a["upgrade"].value("state", "");
    CHECK((state.empty() || state == "none"));
    for (auto& r : package_requests(f.platform, "0.2.0"))
      CHECK(r.host != f.host_ids[i]);
  }

  // 2. Deltas pending on every host (the platform was away), then
  //    TargetVersion=0.3.0 for all: each ends on 0.3.0 with its HostID, and
  //    each pending delta is applied exactly once.
  auto v3 = test::setup_of_version(f.dir.path(), "0.3.0");
  add_release(f.platform, v3);
  for (auto& root : f.roots) // whatever the upgraded agents sent at their start is in
    CHECK(test::wait_until([&] { return test::in_sync(f.platform, root); }, 60s));
  auto pending = f.make_pending_deltas();
  f.platform.start();
  asked = std::chrono::steady_clock::now();
  REQUIRE(test::set_profile(f.platform, f.ids.second,
                            {"TargetVersion=0.3.0", "RolloutPercent=100"}) == 0);
  CHECK(wait_paced([&] { return f.upgraded(f.all(), "0.3.0"); }, 120s));
  MESSAGE("TargetVersion=0.3.0: profile set to all 5 upgraded (assets \"succeeded\") in "
          << seconds_since(asked) << " s");
  auto log = test::request_log(f.platform);
  int uploaded_by_new = 0;
  for (size_t i = 0; i < f.roots.size(); ++i) {
    INFO("host " << i);
    CHECK(test::host_id_of(f.roots[i]) == f.host_ids[i]);
    CHECK(f.marker_state(i) == "succeeded");
    CHECK_FALSE(fs::exists(f.roots[i] / "opt/vigil.previous"));
    std::string difference;
    CHECK(test::wait_until([&] { return test::in_sync(f.platform, f.roots[i], &difference); }, 60s));
    INFO(difference);
    log = test::request_log(f.platform);
    auto complete = "/v1/deltas/Vulnerability/" + std::to_string(pending[i]) + "/complete";
    size_t applied = 0, applied_at = 0, last_package = 0;
    for (size_t n = 0; n < log.size(); ++n) {
      if (log[n].host != f.host_ids[i])
        continue;
      if (log[n].target.ends_with(complete) && log[n].outcome == "applied") {
        ++applied;
        applied_at = n;
      }
      if (log[n].target.ends_with("/v1/releases/0.3.0/package"))
        last_package = n;
    }
    CHECK(applied == 1);
    uploaded_by_new += applied_at > last_package ? 1 : 0;
  }
  std::set<std::string> applied_once; // no (host, module, seq) applied twice
  for (auto& r : log)
    if (r.outcome == "applied")
      CHECK_MESSAGE(applied_once.insert(r.host + " " + r.target).second,
                    "applied twice: " << r.host << " " << r.target);
  // The old versions' uploaders were backing off for 16 s: the new version
  // uploads at its start (a slower machine may let an old one go first; the
  // delta is applied once either way).
  MESSAGE(uploaded_by_new << " of 5 pending deltas were uploaded by 0.3.0 after the upgrade");
  WARN(uploaded_by_new == 5);

  // 3. A canary group of 3 (the lowest buckets) is offered 0.4.0, whose agent
  //    exits at start: each rolls back; the platform halts the rollout, and
  //    when it is widened to every host the other 2 never download 0.4.0.
  auto sorted = buckets;
  std::sort(sorted.begin(), sorted.end());
  int canary_percent = sorted[2] + 1;
  std::set<size_t> canaries;
  for (size_t i = 0; i < buckets.size(); ++i)
    if (buckets[i] < canary_percent)
      canaries.insert(i);
  add_release(f.platform, test::setup_of_version(f.dir.path(), "0.4.0", "#!/bin/sh\nexit 3\n"));
  asked = std::chrono::steady_clock::now();
  REQUIRE(test::set_profile(f.platform, f.ids.second,
                            {"TargetVersion=0.4.0",
                             "RolloutPercent=" + std::to_string(canary_percent)}) == 0);
  auto halted = [&] {
    auto r = test::run({test::program("vigil-platform").string(), "release", "list", "--json", "--data-dir",
                        f.platform.data_dir().string()});
    auto list = nlohmann::json::parse(r.out, nullptr, false);
    if (list.is_discarded())
      return false;
    for (auto& release : list)
      if (release.value("version", "") == "0.4.0")
        return release.value("halted", false);
    return false;
  };
  CHECK(wait_paced(halted, 120s));
  MESSAGE("canary group of " << canaries.size() << " (RolloutPercent=" << canary_percent
                             << ") rolled back and halted the rollout in " << seconds_since(asked)
                             << " s");
  REQUIRE(test::set_profile(f.platform, f.ids.second,
                            {"TargetVersion=0.4.0", "RolloutPercent=100"}) == 0);
  auto fetched_by = [&](size_t i) {
    size_t n = 0;
    for (auto& r : package_requests(f.platform, "0.4.0"))
      n += r.host == f.host_ids[i] ? 1 : 0;
    return n;
  };
  // The canaries are back on 0.3.0 (their rollback reports halted it).
  CHECK(wait_paced(
    [&] {
      auto all = f.assets();
      for (auto i : canaries)
        if (f.version(i) != "0.3.0\n" || !all.count(i)
            || all[i]["upgrade"].value("state", "") != "rolled_back")
          return false;
      return true;
    },
    60s));
  std::map<size_t, size_t> fetched_before;
  for (auto i : canaries)
    fetched_before[i] = fetched_by(i);
  auto widened_at = static_cast<int64_t>(std::time(nullptr));
  // Every host checks in twice under the widened rollout.
  CHECK(wait_paced([&] { return f.checked_in_since(f.all(), widened_at + 4); }, 60s));
  assets = f.assets();
  for (size_t i = 0; i < f.roots.size(); ++i) {
    INFO("host " << i << " bucket " << buckets[i]);
    CHECK(f.version(i) == "0.3.0\n");
    CHECK(test::host_id_of(f.roots[i]) == f.host_ids[i]);
    REQUIRE(assets.count(i));
    auto& a = assets[i];
    if (canaries.count(i)) {
      CHECK(f.marker_state(i) == "rolled_back");
      CHECK(a["upgrade"].value("state", "") == "rolled_back");
      CHECK(a["upgrade"].value("reason", "").starts_with("install_failed"));
      CHECK(fetched_before[i] > 0);
      CHECK(fetched_by(i) == fetched_before[i]); // not tried again
    } else {
      CHECK(fetched_by(i) == 0);
      CHECK(a["rollout"] == "halted");
    }
  }
  CHECK(test::read_file(f.platform.data_dir().string() + ".out").find("rollout of 0.4.0 halted")
        != std::string::npos);
}

TEST_CASE("self-patch: a download cut off by the platform stopping resumes where it stopped once "
          "the platform is back") {
  fleet_host h;
  auto v2 = test::setup_of_version(h.dir.path(), "0.2.0");
  h.release_add(v2);
  auto size = fs::file_size(v2);
  constexpr uint64_t piece = 4 * 1024 * 1024; // the agent's ranged requests
  REQUIRE(size > 2 * piece);
  // The agent reaches the platform through a link carrying 4 MB/s of answers:
  // each 4 MB piece takes a second, so the platform stops in the middle.
  test::throttled_relay link{h.dir / "relay", h.platform.port(), 0, 4 * 1024 * 1024};
  h.restart_agent([&] {
    REQUIRE(test::reg_add(h.root, "", "WebServiceUri", "REG_SZ",
                          "https://127.0.0.1:" + std::to_string(link.port()) + "/CloudAgent/")
            == 0);
  });
  auto host = test::host_id_of(h.root);
  REQUIRE(test::set_profile(h.platform, h.ids.second, {"TargetVersion=0.2.0"}) == 0);
  // The second piece is asked for: the first is on disk.
  REQUIRE(test::wait_until(
    [&] {
      for (auto& r : package_requests(h.platform, "0.2.0"))
        if (range_start(r.outcome) == piece)
          return true;
      return false;
    },
    60s));
  h.platform.kill();
  auto before = package_requests(h.platform, "0.2.0");
  auto part = h.root / "var/opt/vigil/Patch/vigil-setup-0.2.0.part";
  // The agent fails to fetch what comes next while the platform is away.
  auto selfpatch_log = h.root / "var/opt/vigil/Log/SelfPatch.log";
  REQUIRE(test::wait_until(
    [&] { return test::read_file(selfpatch_log).find("download of 0.2.0") != std::string::npos; },
    60s));
  std::error_code ignored;
  auto have = fs::file_size(part, ignored);
  MESSAGE("platform stopped with " << have << " of " << size << " bytes on the host");
  CHECK(have >= piece);
  CHECK(have < size);
  CHECK(have % piece == 0);
  auto back = std::chrono::steady_clock::now();
  h.platform.start();
  REQUIRE(test::wait_until([&] { return h.version() == "0.2.0\n"; }, 60s));
  MESSAGE("platform back to 0.2.0 installed: " << seconds_since(back) << " s");
  // The next check-in after the platform's return resumed the download, not
  // the retry timer (30 s).
  CHECK(seconds_since(back) < 25);
  auto all = package_requests(h.platform, "0.2.0");
  REQUIRE(all.size() > before.size());
  std::string ranges;
  for (auto& r : all)
    ranges += r.outcome + " ";
  MESSAGE("package requests: " << ranges);

  // After the restart: from where the host stopped to the end, in order, and
  // never from the start again.
  uint64_t next = have;
  for (size_t n = before.size(); n < all.size(); ++n) {
    CHECK(all[n].host == host);
    auto start = range_start(all[n].outcome);
    REQUIRE(start);
    CHECK(*start == next);
    next = std::min<uint64_t>(next + piece, size);
  }
  CHECK(next == size);
  CHECK(all[before.size()].outcome
        == "range=" + std::to_string(have) + "-" + std::to_string(std::min(have + piece, size) - 1));
  CHECK(test::wait_until([&] {
    auto u = h.upgrade_state();
    return u && u->value("state", "") == "succeeded";
  }, 60s));
  CHECK(test::host_id_of(h.root) == host);
}

TEST_CASE("agent: a WebServiceUri changed in the hive is used from the next request, without a "
          "restart; a bad one is refused and the last good one stays") {
  fleet_host h;
  auto pid = std::stoi(test::read_file(h.root / "var/opt/vigil/state/vigil-agent.pid"));
  test::hostile_relay relay{h.dir / "relay", h.platform.data_dir(), h.platform.port()};
  REQUIRE(test::reg_add(h.root, "", "WebServiceUri", "REG_SZ", relay.web_service_uri()) == 0);
  CHECK(test::wait_until(
    [&] { return relay.log().find("POST /CloudAgent/v1/checkin 200") != std::string::npos; }, 15s));
  CHECK(std::stoi(test::read_file(h.root / "var/opt/vigil/state/vigil-agent.pid")) == pid);
  CHECK(::kill(pid, 0) == 0);
  auto network_log = h.root / "var/opt/vigil/Log/Network.log";
  CHECK(test::wait_until(
    [&] {
      return test::read_file(network_log)
               .find("WebServiceUri is now https://127.0.0.1:" + std::to_string(relay.port()))
             != std::string::npos;
    },
    15s));
  REQUIRE(test::reg_add(h.root, "", "WebServiceUri", "REG_SZ", "http://127.0.0.1:1/CloudAgent/")
          == 0);
  CHECK(test::wait_until(
    [&] { return test::read_file(network_log).find("is not an https URL") != std::string::npos; },
    15s));
  auto seen = relay.log().size();
  CHECK(test::wait_until(
    [&] { return relay.log().find("POST /CloudAgent/v1/checkin 200", seen) != std::string::npos; },
    15s));
}

namespace {

/// Release metadata for `package_bytes` offered as `version`, valid for an
/// hour from a minute ago.
release_metadata metadata_of(const std::string& version, const std::string& package_bytes,
                             uint64_t serial) {
  release_metadata m;
  m.version = version;
  m.sha256 = sha256_hex(package_bytes);
  m.size = package_bytes.size();
  m.serial = serial;
  m.issued_at = unix_now() - 60;
  m.expires_at = unix_now() + 3600;
  m.package_name = "vigil-setup";
  return m;
}

/// The offer of `metadata` (a signed envelope, or anything else) as `version`.
nlohmann::json offer_of(const std::string& version, const std::string& metadata) {
  return {{"version", version}, {"metadata", metadata}};
}

} // namespace

TEST_CASE("self-patch: whoever holds the TLS path cannot upgrade a host; each refusal names its "
          "cause and the host runs on its version") {
  fleet_host h{true};
  auto& relay = *h.relay;
  auto platform_key = signing_key::from_text(
    test::read_file(h.platform.data_dir() / "signing-key"));
  REQUIRE(platform_key);
  auto other_key = signing_key::generate();
  REQUIRE(other_key);
  auto package_file = test::setup_of_version(h.dir.path(), "0.2.0");
  auto package = test::read_file(package_file);
  auto other_file = test::setup_of_version(h.dir.path(), "0.3.0");
  auto other = test::read_file(other_file);
  REQUIRE(package != other);
  auto pid = std::stoi(test::read_file(h.root / "var/opt/vigil/state/vigil-agent.pid"));
  auto selfpatch_log = h.root / "var/opt/vigil/Log/SelfPatch.log";

  // Each case offers its own version, so each wait sees its own refusal.
  auto refused = [&](const std::string& target, const nlohmann::json& rules,
                     const std::string& cause) {
    INFO("offered " << target << ", expecting " << cause);
    relay.set(rules);
    CHECK(test::wait_until([&] {
      auto u = h.upgrade_state();
      return u && u->value("state", "") == "refused" && u->value("target", "") == target
             && u->value("reason", "").starts_with(cause);
    }, 60s));
    CHECK(h.version() == "0.1.0\n");
    CHECK(::kill(pid, 0) == 0); // the same agent runs on
    CHECK(test::read_file(selfpatch_log).find("upgrade to " + target + " refused: " + cause)
          != std::string::npos);
  };
  auto signed_by = [](const signing_key& key, const release_metadata& m) {
    return sign_document(key, m.to_json_text());
  };

  // Unsigned metadata, then metadata signed by a key the host never pinned.
  refused("0.2.1", {{"offer", offer_of("0.2.1", metadata_of("0.2.1", package, 10).to_json_text())}},
          "signature_invalid");
  refused("0.2.2",
          {{"offer", offer_of("0.2.2", signed_by(*other_key, metadata_of("0.2.2", package, 10)))}},
          "signature_invalid");
  // Expired metadata (signed by the platform's key).
  auto expired = metadata_of("0.2.3", package, 10);
  expired.issued_at = unix_now() - 7200;
  expired.expires_at = unix_now() - 3600;
  refused("0.2.3", {{"offer", offer_of("0.2.3", signed_by(*platform_key, expired))}},
          "metadata_expired");
  // A lower version than the one installed.
  refused("0.0.9",
          {{"offer", offer_of("0.0.9", signed_by(*platform_key, metadata_of("0.0.9", package, 10)))}},
          "downgrade_refused");
  // Metadata of one version offered as another (mix-and-match of metadata).
  refused("0.2.5",
          {{"offer", offer_of("0.2.5", signed_by(*platform_key, metadata_of("0.2.0", package, 10)))}},
          "signature_invalid");
  // A package longer than its metadata says, answered whole to every ranged
  // request (endless data): cut off at the signed size, not read to its end.
  auto longer_file = h.dir / "longer";
  test::write_file(longer_file, package + std::string(32 * 1024 * 1024, 'x'));
  refused("0.2.0",
          {{"offer", offer_of("0.2.0", signed_by(*platform_key, metadata_of("0.2.0", package, 20)))},
           {"packages", {{"0.2.0", longer_file.string()}}}},
          "size_exceeded");
  CHECK(test::wait_until([&] {
    return relay.log().find("GET /CloudAgent/v1/releases/0.2.0/package 200 cut") != std::string::npos;
  }, 10s));
  // 0.2.0's metadata spliced with 0.3.0's package bytes.
  refused("0.2.4",
          {{"offer", offer_of("0.2.4", signed_by(*platform_key, metadata_of("0.2.4", package, 21)))},
           {"packages", {{"0.2.4", other_file.string()}}}},
          other.size() > package.size() ? "size_exceeded" : "hash_mismatch");
  // Metadata the host accepted (serial 21) replayed with an older serial.
  refused("0.2.6",
          {{"offer", offer_of("0.2.6", signed_by(*platform_key, metadata_of("0.2.6", package, 15)))}},
          "replayed_metadata");
  // Nothing was staged or installed on the way.
  CHECK(h.marker_state() == "refused");
  CHECK_FALSE(fs::exists(h.root / "var/opt/vigil/Patch/staged/vigil-setup"));
  CHECK_FALSE(fs::exists(h.root / "opt/vigil.previous"));
}

TEST_CASE("self-patch: a platform answering 503 while the new version is watched does not roll "
          "it back") {
  fleet_host h{true};
  auto& relay = *h.relay;
  REQUIRE(test::reg_add(h.root, "SelfPatch", "WatchSeconds", "REG_DWORD", "15") == 0);
  h.release_add(test::setup_of_version(h.dir.path(), "0.2.0"));
  REQUIRE(test::set_profile(h.platform, h.ids.second, {"TargetVersion=0.2.0"}) == 0);
  // From the download on, every check-in gets a load balancer's 503 page.
  REQUIRE(test::wait_until([&] { return h.marker_state() == "downloading"; }, 60s));
  relay.set({{"checkin_status", 503}});
  REQUIRE(test::wait_until([&] { return h.marker_state() == "watching"; }, 60s));
  // Twice the watch deadline: the old watcher rolled back at 15 s.
  CHECK_FALSE(test::wait_until([&] { return h.marker_state() != "watching"; }, 30s));
  CHECK(h.version() == "0.2.0\n");
  relay.set({});
  CHECK(test::wait_until([&] { return h.marker_state() == "succeeded"; }, 30s));
  CHECK(h.version() == "0.2.0\n");
  CHECK(test::wait_until([&] {
    auto u = h.upgrade_state();
    return u && u->value("state", "") == "succeeded" && u->value("target", "") == "0.2.0";
  }, 30s));
  auto installer_log = test::read_file(h.root / "var/opt/vigil/CloudAgentInstaller.log");
  CHECK(installer_log.find("check-ins busy") != std::string::npos);
}

namespace {

using test::processes_of;

/// Where `tree` differs from `payload` (an extracted vigil-setup payload,
/// whose package/ directory is not installed): file names and contents.
std::string tree_difference(const fs::path& tree, const fs::path& payload) {
  std::map<std::string, std::string> want, have;
  for (auto& e : fs::recursive_directory_iterator(payload))
    if (e.is_regular_file()) {
      auto rel = fs::relative(e.path(), payload).string();
      if (!rel.starts_with("package/"))
        want[rel] = test::read_file(e.path());
    }
  for (auto& e : fs::recursive_directory_iterator(tree))
    if (e.is_regular_file())
      have[fs::relative(e.path(), tree).string()] = test::read_file(e.path());
  std::string out;
  for (auto& [name, bytes] : want)
    if (!have.count(name))
      out += "missing " + name + "; ";
    else if (have[name] != bytes)
      out += "differs " + name + "; ";
  for (auto& [name, bytes] : have)
    if (!want.count(name))
      out += "extra " + name + "; ";
  return out;
}

} // namespace

TEST_CASE("self-patch crash matrix: the agent, vigil-setup and the watcher SIGKILLed at each "
          "upgrade state; every host ends on one whole version, identity and deltas intact") {
  test::temp_dir dir;
  test::platform_process platform{dir / "platform"};
  auto ids = platform.create_customer("Vulnerability,PolicyCompliance");
  REQUIRE(test::set_profile(platform, ids.second, {"CapiIntervalSeconds=2"}) == 0);
  // Answers at 4 MB/s: a download lasts about 2 s, long enough to be killed in.
  test::throttled_relay link{dir / "link", platform.port(), 0, 4 * 1024 * 1024};
  auto root = dir / "host";
  test::write_host_files(root, 300);
  test::install_agent(root, platform, ids, {},
                      "https://127.0.0.1:" + std::to_string(link.port()) + "/CloudAgent/");
  REQUIRE(test::reg_add(root, "SelfPatch", "WatchSeconds", "REG_DWORD", "20") == 0);
  REQUIRE(test::wait_until([&] { return !test::host_id_of(root).empty(); }, 30s));
  auto host = test::host_id_of(root);
  auto payload_of = [&](const std::string& version) { return dir / ("payload-" + version); };
  REQUIRE(test::run({"/usr/bin/tar", "-xf", std::string{VIGIL_TEST_BUILD_DIR} + "/payload.tar.xz",
                     "-C", (fs::create_directories(payload_of("0.1.0")), payload_of("0.1.0")).string()})
            .exit_code
          == 0);
  auto marker = [&] {
    auto m = load_upgrade_marker(paths{root});
    return m ? *m : upgrade_marker{};
  };
  auto version = [&] { return test::read_file(root / "opt/vigil/VERSION"); };
  auto agent_binary = (root / "opt/vigil/bin/vigil-agent").string();
  // The service manager's part (systemd's Restart=always, or the next boot):
  // the agent runs, except while vigil-setup works on it before the watch
  // (a service manager serializes its start and stop jobs; systemd queues a
  // start behind the installer's stop). A start racing the installer's stop
  // is covered too: the agent restarts itself into the files on disk.
  auto keep_service_up = [&] {
    if (!processes_of("vigil-agent", root).empty())
      return;
    if (!processes_of("vigil-setup", root).empty() && marker().state != "watching")
      return;
    test::run({agent_binary, "--root", root.string()});
  };
  auto kill_all = [](const std::vector<int>& pids) {
    for (auto pid : pids)
      ::kill(pid, SIGKILL);
    return !pids.empty();
  };
  std::mt19937 random{static_cast<unsigned>(test::test_seed("crash matrix"))};
  std::map<std::string, int> kills;
  auto part_size = [&](const std::string& v) {
    std::error_code err;
    auto n = fs::file_size(root / ("var/opt/vigil/Patch/vigil-setup-" + v + ".part"), err);
    return err ? uintmax_t{0} : n;
  };

  // Each round offers a newer release and kills at the points its plan names.
  enum class point { agent_downloading, agent_staged, setup_installing, watcher_watching,
                     agent_watching };
  const std::vector<std::vector<point>> plans = {
    {point::agent_downloading, point::agent_staged, point::watcher_watching},
    {point::agent_downloading, point::setup_installing},
    {point::agent_downloading, point::agent_watching, point::watcher_watching},
    {point::agent_staged, point::setup_installing},
    {point::agent_downloading, point::agent_downloading, point::agent_watching},
    {point::setup_installing},
    {point::agent_downloading, point::agent_staged, point::agent_watching, point::watcher_watching},
    {point::setup_installing},
    {point::agent_downloading, point::agent_staged, point::setup_installing},
    {point::agent_downloading, point::watcher_watching},
  };
  std::string old_version = "0.1.0";
  int minor = 1;
  for (auto& plan : plans) {
    auto target = "0." + std::to_string(++minor) + ".0";
    INFO("round to " << target << " from " << old_version);
    // The host changes and scans now: its delta travels while the kills go on.
    test::mutate(root, random, minor);
    REQUIRE(test::reg_add(root, "ScanOnDemand\\Vulnerability", "ScanOnDemand", "REG_DWORD", "1")
            == 0);
    add_release(platform, test::setup_of_version(dir.path(), target));
    REQUIRE(test::set_profile(platform, ids.second, {"CapiIntervalSeconds=2",
                                                     "TargetVersion=" + target}) == 0);
    for (auto at : plan) {
      bool killed = false;
      auto reached = test::wait_until(
        [&] {
          keep_service_up();
          auto m = marker();
          if (m.target != target)
            return false;
          switch (at) {
          case point::agent_downloading:
            if (m.state != "downloading" || part_size(target) == 0)
              return false;
            killed = kill_all(processes_of("vigil-agent", root));
            kills["agent@downloading"] += killed;
            return killed;
          case point::agent_staged:
            if (m.state != "staged")
              return false;
            killed = kill_all(processes_of("vigil-agent", root));
            kills["agent@staged"] += killed;
            return killed;
          case point::setup_installing: {
            if (m.state != "installing")
              return false;
            // Somewhere in stop-service, stage-files, swap-files, write-hive.
            std::this_thread::sleep_for(std::chrono::milliseconds{random() % 250});
            killed = kill_all(processes_of("vigil-setup", root));
            kills["setup@installing"] += killed;
            return killed;
          }
          case point::watcher_watching:
            if (m.state != "watching")
              return false;
            killed = kill_all(processes_of("vigil-setup", root));
            kills["watcher@watching"] += killed;
            return killed;
          case point::agent_watching:
            if (m.state != "watching" || processes_of("vigil-agent", root).empty())
              return false;
            killed = kill_all(processes_of("vigil-agent", root));
            kills["agent@watching"] += killed;
            return killed;
          }
          return false;
        },
        90s);
      if (!reached) // the round went past this point first (it raced a kill before)
        MESSAGE("round to " << target << ": a kill point was not reached");
    }
    // The round ends: the host runs one version, old or new, and knows which.
    CHECK(test::wait_until(
      [&] {
        keep_service_up();
        auto m = marker();
        return (m.state == "succeeded" || m.state == "rolled_back")
               && processes_of("vigil-setup", root).empty()
               && processes_of("vigil-agent", root).size() == 2;
      },
      120s));
    auto m = marker();
    auto now_running = version();
    MESSAGE("round to " << target << ": " << m.state << " (" << m.reason << "), running "
                        << now_running);
    REQUIRE((now_running == target + "\n" || now_running == old_version + "\n"));
    CHECK((m.state == "succeeded") == (now_running == target + "\n"));
    auto running = now_running.substr(0, now_running.size() - 1);
    CHECK(tree_difference(root / "opt/vigil", payload_of(running)) == "");
    CHECK_FALSE(fs::exists(root / "opt/vigil.previous"));
    CHECK_FALSE(fs::exists(root / "opt/vigil.staging"));
    CHECK(test::host_id_of(root) == host);
    old_version = running;
  }
  int total = 0;
  std::string counts;
  for (auto& [where, n] : kills) {
    total += n;
    counts += where + "=" + std::to_string(n) + " ";
  }
  MESSAGE("SIGKILLs: " << total << " (" << counts << ")");
  CHECK(total >= 20);
  // Nothing collected was lost or applied twice across all of it.
  std::string difference;
  CHECK_MESSAGE(test::wait_until([&] { return test::in_sync(platform, root, &difference); }, 60s),
                difference);
  size_t applied = 0;
  CHECK(test::applied_at_most_once(test::request_log(platform), &applied));
  MESSAGE(applied << " deltas applied, none twice");
  test::run({(root / "opt/vigil/bin/vigil-uninstall").string(), "--root", root.string(),
             "Uninstall=True"});
}
