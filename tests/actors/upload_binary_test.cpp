// Deltas, exactly-once resumable upload and crash safety (SPEC §9) with the
// real vigil-agent against a real vigil-platform, on files of a test root.

#include <doctest/doctest.h>
#include <csignal>
#include <cstdio>
#include <random>
#include <sstream>
#include <thread>

#include "tests/actors/synced_host.hpp"
#include "tests/support/seed.hpp"
#include "tests/support/servers.hpp"

using namespace vigil;
using namespace vigil::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

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


TEST_CASE("upload: 50 SIGKILLs of the agent during scans and uploads lose and duplicate nothing") {
  synced_host h{2000, {"ScanIntervalSeconds=1"}};
  std::mt19937 random{test::test_seed("file changes and kill moments")};
  size_t kills_with_upload_in_flight = 0;
  for (int round = 0; round < 50; ++round) {
    mutate(h.root, random, round);
    auto agent = test::start_agent(h.root);
    if (round % 5 == 0) // on-demand requests too, some of them waiting on a pending delta
      (void) test::reg_add(h.root, "ScanOnDemand\\Vulnerability", "ScanOnDemand", "REG_DWORD", "1");
    auto log_before = h.platform.request_log().size();
    // The random moment of the kill is what this test is about; it comes later
    // where the agent works slower (sanitizers: test::scaled).
    std::this_thread::sleep_for(test::scaled(std::chrono::milliseconds{100 + random() % 1400}));
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

TEST_CASE("upload: a SIGKILL in the middle of an upload resends at most the chunk in flight") {
  // Full snapshots of several 1 MiB chunks over a 1 MiB/s uplink, so that the
  // kill lands between two chunks of one upload (DESIGN.md: upload resume
  // after SIGKILL resends at most one chunk).
  synced_host h{10};
  std::mt19937_64 random{test::test_seed("package versions")};
  auto random_version = [&](int) { // 32 random bytes: rows zstd cannot shrink much
    char text[65];
    for (int i = 0; i < 4; ++i)
      std::snprintf(text + 16 * i, 17, "%016llx", static_cast<unsigned long long>(random()));
    return std::string{"1:"} + text;
  };
  test::write_file(h.root / "var/lib/dpkg/status", dpkg_status(70000, random_version));
  auto uplink = std::make_unique<throttled_relay>(h.dir / "relay", h.platform.port(), 1024 * 1024);
  auto use_uplink = [&] {
    REQUIRE(test::reg_add(h.root, "", "WebServiceUri", "REG_SZ",
                          "https://127.0.0.1:" + std::to_string(uplink->port()) + "/CloudAgent/")
            == 0);
  };
  use_uplink();
  auto agent = test::start_agent(h.root);
  std::string target; // a package snapshot whose first chunk the platform holds
  REQUIRE(test::wait_until(
    [&] {
      for (auto& r : request_log(h.platform))
        if (r.method == "PUT" && r.status == 200
            && (r.target.find("/Inventory/") != std::string::npos
                || r.target.find("/Vulnerability/") != std::string::npos)) {
          target = r.target;
          return true;
        }
      return false;
    },
    120s));
  agent->signal(SIGKILL);
  agent->wait();
  // The link goes down with the agent: what it was still carrying of the
  // chunk in flight never reaches the platform.
  uplink.reset();
  uplink = std::make_unique<throttled_relay>(h.dir / "relay", h.platform.port(), 1024 * 1024);
  use_uplink();
  // The byte ranges the platform stored of `target` (PUT ... stored=FROM-TO),
  // and the PUTs it refused, from request `from` on.
  using range = std::pair<uint64_t, uint64_t>;
  auto puts_of = [&](const std::vector<logged_request>& log, size_t from, size_t* refused) {
    std::vector<range> stored;
    for (size_t i = from; i < log.size(); ++i) {
      auto& r = log[i];
      if (r.method != "PUT" || r.target != target)
        continue;
      *refused += r.status != 200;
      if (auto dash = r.outcome.find('-'); r.outcome.starts_with("stored=") && dash != std::string::npos)
        stored.emplace_back(std::stoull(r.outcome.substr(7, dash - 7)),
                            std::stoull(r.outcome.substr(dash + 1)));
    }
    return stored;
  };
  auto log = request_log(h.platform);
  size_t restart_at = log.size(), refused_before = 0;
  auto before = puts_of(log, 0, &refused_before);
  for (auto& r : log)
    REQUIRE_MESSAGE(r.target != target + "/complete", "the upload ended before the kill");
  REQUIRE(before.size() == 1);
  agent = test::start_agent(h.root);
  REQUIRE(h.wait_in_sync(180s));
  log = request_log(h.platform);
  size_t refused = 0, refused_after = 0;
  auto stored = puts_of(log, 0, &refused);
  auto after = puts_of(log, restart_at, &refused_after);
  size_t completions = 0;
  for (auto& r : log)
    completions += r.target == target + "/complete";
  std::ostringstream ranges;
  for (auto& [from, to] : stored)
    ranges << " [" << from << ", " << to << ")";
  MESSAGE(target << " stored as" << ranges.str() << "; " << before.size()
                 << " before the SIGKILL, " << after.size() << " after");
  CHECK(stored.size() >= 3); // several chunks: the kill fell inside the upload
  // Every byte stored once, in order, with no gap: the restarted agent went on
  // from the platform's offset, and sent only what the platform lacked.
  REQUIRE_FALSE(stored.empty());
  CHECK(stored.front().first == 0);
  for (size_t i = 1; i < stored.size(); ++i)
    CHECK(stored[i].first == stored[i - 1].second);
  CHECK(after.size() + before.size() == stored.size());
  CHECK(refused == 0);     // no chunk at an offset the platform already held
  CHECK(completions == 1); // one completion, applied: no re-encoded resend
  CHECK(applied_at_most_once(log));
  agent->signal(SIGTERM);
  CHECK(agent->wait() == 0);
}

TEST_CASE("upload: 50 SIGKILLs of the platform during uploads lose and duplicate nothing") {
  synced_host h{2000, {"ScanIntervalSeconds=1"}};
  std::mt19937 random{test::test_seed("file changes and kill moments")};
  auto agent = test::start_agent(h.root);
  REQUIRE(h.wait_in_sync(60s)); // provisioned, first snapshots uploaded
  for (int round = 0; round < 50; ++round) {
    mutate(h.root, random, round);
    std::this_thread::sleep_for(test::scaled(std::chrono::milliseconds{100 + random() % 900}));
    h.platform.kill();
    h.platform.start();
  }
  // The uploader may be in its capped backoff (at most 5 minutes) by now.
  REQUIRE(h.wait_in_sync(330s));
  size_t applied = 0;
  CHECK(applied_at_most_once(request_log(h.platform), &applied));
  MESSAGE(applied << " deltas applied, each once");
  CHECK(applied > 20);
  agent->signal(SIGTERM);
  CHECK(agent->wait() == 0);
}
