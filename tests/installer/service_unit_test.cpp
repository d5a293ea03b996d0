// The agent's systemd unit: one source (systemd_unit_text), what the package
// installs and what vigil-setup writes (issue 16, item 10), and the sandbox
// systemd-analyze measures (issue 15, defect 7).

#include <doctest/doctest.h>
#include <regex>

#include "host/paths.hpp"
#include "host/systemd_service.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"
#include "vigil_test_config.hpp"

using namespace vigil;
namespace fs = std::filesystem;

namespace {

const fs::path build_dir = VIGIL_TEST_BUILD_DIR;

/// The exposure `systemd-analyze security --offline=true` gives `unit`, and
/// everything it said.
std::pair<double, test::process_result> exposure_of(const fs::path& unit) {
  auto r = test::run({"/usr/bin/systemd-analyze", "security", "--offline=true", "--no-pager",
                      unit.string()});
  std::smatch m;
  static const std::regex overall{R"(Overall exposure level for [^:]+: ([0-9.]+))"};
  if (!std::regex_search(r.out, m, overall))
    return {100.0, r};
  return {std::stod(m[1]), r};
}

} // namespace

TEST_CASE("unit: the package installs exactly the unit the code makes") {
  // The build generates it from systemd_unit_text; no second copy exists.
  CHECK_FALSE(fs::exists(fs::path{VIGIL_TEST_SOURCE_DIR} / "installer/vigil-agent.service"));
  auto expected = systemd_unit_text(paths{"/"});
  CHECK(test::read_file(build_dir / "vigil-agent.service") == expected);
  // And the .deb carries those bytes at lib/systemd/system.
  auto deb = build_dir / "package/vigil-agent_0.1.0_amd64.deb";
  REQUIRE(fs::exists(deb));
  auto extracted = test::run({"/bin/sh", "-c",
                              "/usr/bin/dpkg-deb --fsys-tarfile '" + deb.string()
                                + "' | tar -xOf - ./lib/systemd/system/vigil-agent.service"});
  CAPTURE(extracted.err);
  REQUIRE(extracted.exit_code == 0);
  CHECK(extracted.out == expected);
}

TEST_CASE("unit: sandboxed, as systemd-analyze measures it") {
  test::temp_dir dir;
  auto unit = dir / "vigil-agent.service";
  test::write_file(unit, systemd_unit_text(paths{"/"}));
  auto [score, run] = exposure_of(unit);
  CAPTURE(run.out);
  CAPTURE(run.err);
  // 9.6 ("UNSAFE") before the sandbox; what remains is what the agent's work
  // needs: root, reading every file, the network.
  CHECK(score <= 3.0);
  // Every directive is one this systemd knows: a misspelt one would be
  // ignored with a warning, and the sandbox silently weaker.
  CHECK(run.err.find("Unknown") == std::string::npos);
  CHECK(run.err.find("ignoring") == std::string::npos);
  // The agent's writable directories, and nothing else of the system: its
  // data, its hive, and what self-protection repairs (program files, its
  // drop-in directory).
  auto text = test::read_file(unit);
  CHECK(text.find("ProtectSystem=strict\n") != std::string::npos);
  CHECK(text.find("ReadWritePaths=/var/opt/vigil /etc/opt/vigil -/var/log/vigil -/opt/vigil "
                  "-/etc/systemd/system/vigil-agent.service.d\n")
        != std::string::npos);
  // A test root's unit names the root's own paths.
  auto rooted = systemd_unit_text(paths{"/tmp/r"});
  CHECK(rooted.find("ExecStart=/tmp/r/opt/vigil/bin/vigil-agent --foreground\n")
        != std::string::npos);
  CHECK(rooted.find("ReadWritePaths=/tmp/r/var/opt/vigil /tmp/r/etc/opt/vigil "
                    "-/tmp/r/var/log/vigil -/tmp/r/opt/vigil "
                    "-/tmp/r/etc/systemd/system/vigil-agent.service.d\n")
        != std::string::npos);
}
