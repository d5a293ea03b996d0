// Self-patching end to end (SPEC §12, issue 13): a real vigil-platform offers
// a release, a real agent installed by vigil-setup downloads, verifies and
// installs it, and its upgrade watcher proves it or rolls it back.

#include <doctest/doctest.h>
#include <fstream>

#include "host/agent_status.hpp"
#include "host/upgrade_marker.hpp"
#include "tests/support/agent.hpp"
#include "tests/support/platform.hpp"
#include "tests/support/temp_dir.hpp"

using namespace vigil;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

/// A host installed by vigil-setup against the platform, checking in every 2 s.
struct fleet_host {
  test::temp_dir dir;
  test::platform_process platform{dir / "platform"};
  std::pair<std::string, std::string> ids = platform.create_customer("Vulnerability");
  fs::path root = dir / "host";

  fleet_host() {
    REQUIRE(test::set_profile(platform, ids.second, {"CapiIntervalSeconds=2"}) == 0);
    test::install_agent(root, platform, ids);
    REQUIRE(test::reg_add(root, "SelfPatch", "WatchSeconds", "REG_DWORD", "30") == 0);
    REQUIRE(test::wait_until([&] { return upgrade_state().has_value(); }, 20s));
  }

  ~fleet_host() {
    test::run({(root / "opt/vigil/bin/vigil-uninstall").string(), "--root", root.string(),
               "Uninstall=True"});
  }

  std::string release_add(const fs::path& setup) {
    auto r = test::run({test::program("vigil-platform").string(), "release", "add", "--data-dir",
                        platform.data_dir().string(), setup.string()});
    CAPTURE(r.err);
    REQUIRE(r.exit_code == 0);
    return r.out;
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
