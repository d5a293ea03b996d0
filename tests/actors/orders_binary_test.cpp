// Platform orders end to end (issue 14): signed by the platform's root key,
// carried out once by the real agent, acknowledged, and never lost.

#include <doctest/doctest.h>

#include "common/signing.hpp"
#include "tests/support/agent.hpp"
#include "tests/support/platform.hpp"
#include "tests/support/temp_dir.hpp"

using namespace vigil;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

/// A host installed by vigil-setup (so vigil-uninstall is where an uninstall
/// order finds it), checking in every second; `trust_key` is what it pins.
struct ordered_host {
  test::temp_dir dir;
  test::platform_process platform{dir / "platform"};
  std::pair<std::string, std::string> ids = platform.create_customer("Vulnerability");
  fs::path root = dir / "host";

  explicit ordered_host(std::string trust_key = {}) {
    REQUIRE(test::set_profile(platform, ids.second, {"CapiIntervalSeconds=1"}) == 0);
    test::install_agent(root, platform, ids, trust_key);
    REQUIRE(test::wait_until([&] { return listed(); }, 20s));
  }

  ~ordered_host() {
    if (fs::exists(root / "opt/vigil/bin/vigil-uninstall"))
      test::run({(root / "opt/vigil/bin/vigil-uninstall").string(), "--root", root.string(),
                 "Uninstall=True"});
  }

  bool listed() const {
    return test::listed(platform, test::host_id_of(root));
  }

  std::string order(const std::string& json) {
    auto r = test::run({test::program("vigil-platform").string(), "order", "add", "--data-dir",
                        platform.data_dir().string(), "--host", test::host_id_of(root), "--order",
                        json});
    CAPTURE(r.err);
    REQUIRE(r.exit_code == 0);
    auto at = r.out.find("OrderId=");
    REQUIRE(at != std::string::npos);
    auto id = r.out.substr(at + 8);
    return id.substr(0, id.find('\n'));
  }

  /// The host's orders in `assets --json`.
  nlohmann::json orders() const {
    auto id = test::host_id_of(root);
    for (auto& h : test::assets(platform))
      if (h["host_id"] == id)
        return h.value("orders", nlohmann::json::array());
    return nlohmann::json::array();
  }

  std::string order_state(const std::string& id) const {
    for (auto& o : orders())
      if (o.value("id", "") == id)
        return o.value("state", "");
    return {};
  }

  size_t log_count(const std::string& needle) const {
    auto text = test::read_file(platform.data_dir() / "orders.log");
    size_t n = 0;
    for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1))
      ++n;
    return n;
  }
};

} // namespace

TEST_CASE("orders: a scan order runs once and is acknowledged once; an uninstall order "
          "removes the agent and the host") {
  ordered_host h;
  auto scan = h.order(R"({"type":"scan","module":"Vulnerability"})");
  CHECK(test::wait_until([&] { return h.order_state(scan) == "done"; }, 30s));
  CHECK(test::wait_until([&] {
    return test::read_file(h.root / "var/opt/vigil/Log/Vulnerability.log")
             .find("on-demand scan of Vulnerability started")
           != std::string::npos;
  }, 30s));
  // Several check-ins later, still exactly one acknowledgement.
  auto checkins = [&] { return h.platform.request_log().size(); };
  auto before = checkins();
  CHECK(test::wait_until([&] { return checkins() > before + 400; }, 20s));
  CHECK(h.log_count("order=" + scan + " type=scan done") == 1);

  auto uninstall = h.order(R"({"type":"uninstall"})");
  CHECK(test::wait_until([&] { return !h.listed(); }, 30s));
  CHECK(h.log_count("order=" + uninstall + " type=uninstall done") == 1);
  // The agent removed itself as vigil-uninstall Uninstall=True does: program
  // files and data gone, identity kept in the hive.
  CHECK(test::wait_until([&] { return !fs::exists(h.root / "opt/vigil/bin/vigil-agent"); }, 30s));
  CHECK_FALSE(test::host_id_of(h.root).empty());
}

TEST_CASE("orders: an order that does not verify against the pinned key is refused and "
          "reported, not carried out") {
  auto other = signing_key::generate();
  REQUIRE(other);
  ordered_host h{other->public_key_text()};
  auto uninstall = h.order(R"({"type":"uninstall"})");
  CHECK(test::wait_until([&] { return h.order_state(uninstall) == "refused"; }, 30s));
  CHECK(h.listed());
  CHECK(fs::exists(h.root / "var/opt/vigil/state"));
}
