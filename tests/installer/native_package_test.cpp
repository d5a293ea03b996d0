// The native package as administrators use it (issue 19, item 1): the real
// .deb that `vigil-setup Extract=deb` writes, installed, upgraded and removed
// by the real dpkg in a scratch root against a real vigil-platform.
//
// How dpkg runs here: `dpkg --root=ROOT --force-script-chrootless`. dpkg
// installs under ROOT with its database in ROOT/var/lib/dpkg and runs the
// maintainer scripts without chroot, with DPKG_ROOT=ROOT in their
// environment: the scripts run ROOT/opt/vigil/bin/vigil-uninstall
// --root ROOT, so nothing outside ROOT is touched and no mount namespace is
// needed. `--force-depends`: the scratch database lists none of the
// libraries the package depends on (the host has them). The agent runs
// under the built-in supervisor, as for every root but the real one.

#include <doctest/doctest.h>
#include <csignal>
#include <set>
#include <sstream>
#include <unistd.h>

#include "host/hive_file.hpp"
#include "host/secret_box.hpp"
#include "host/systemd_service.hpp"
#include "installer/maintainer_scripts.hpp"
#include "installer/setup_args.hpp"
#include "tests/support/agent.hpp"
#include "tests/support/installed_host.hpp"
#include "tests/support/platform.hpp"
#include "tests/support/temp_dir.hpp"
#include "vigil_test_config.hpp"

using namespace vigil;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

/// The .deb `vigil-setup Extract=deb` writes for this build, made once for
/// every case (Extract compresses the programs: 15-45 s on 2 cores) and
/// kept beside the test programs until vigil-setup changes.
fs::path built_deb() {
  auto setup = test::program("vigil-setup");
  auto cache = fs::path{VIGIL_TEST_BUILD_DIR} / "tests" / "native-package";
  auto deb = cache / "vigil-agent_0.1.0_amd64.deb";
  std::error_code ec;
  if (fs::exists(deb, ec) && fs::last_write_time(deb) >= fs::last_write_time(setup))
    return deb;
  fs::create_directories(cache);
  auto scratch = cache / ("out." + std::to_string(::getpid()));
  fs::create_directories(scratch);
  auto started = std::chrono::steady_clock::now();
  auto r = test::run({setup.string(), "--root", (scratch / "root").string(), "Extract=deb",
                      "Dir=" + scratch.string()});
  if (r.exit_code != 0)
    throw std::runtime_error("vigil-setup Extract=deb failed: " + r.err);
  MESSAGE("Extract=deb: " << std::chrono::duration_cast<std::chrono::seconds>(
                               std::chrono::steady_clock::now() - started)
                               .count()
                          << " s");
  fs::rename(scratch / deb.filename(), deb); // atomic: cases may run in parallel
  fs::remove_all(scratch, ec);
  return deb;
}

/// `deb` rebuilt as version `version` (control and opt/vigil/VERSION; the
/// programs as they are, the maintainer scripts too unless `scripts` is
/// false): a newer release as a repository would offer it, or an older one
/// as Extract=deb wrote them before they had scripts.
fs::path deb_of_version(const fs::path& deb, const fs::path& dir, const std::string& version,
                        bool scripts = true) {
  auto tree = dir / ("deb-" + version);
  auto must = [](const test::process_result& r, const std::string& what) {
    if (r.exit_code != 0)
      throw std::runtime_error(what + " failed: " + r.err);
  };
  must(test::run({"/usr/bin/dpkg-deb", "-R", deb.string(), tree.string()}), "dpkg-deb -R");
  auto control = test::read_file(tree / "DEBIAN/control");
  auto at = control.find("Version: ");
  control.replace(at, control.find('\n', at) - at, "Version: " + version);
  test::write_file(tree / "DEBIAN/control", control);
  test::write_file(tree / "opt/vigil/VERSION", version + "\n");
  if (!scripts)
    for (auto& script : maintainer_scripts())
      fs::remove(tree / "DEBIAN" / script.first);
  must(test::run({"/bin/sh", "-c",
                  "cd \"$1\" && find opt lib -type f | sort | xargs md5sum > DEBIAN/md5sums", "sh",
                  tree.string()}),
       "md5sums");
  auto out = dir / ("vigil-agent_" + version + "_amd64.deb");
  must(test::run({"/usr/bin/dpkg-deb", "--root-owner-group", "-Zgzip", "-z1", "-b",
                  tree.string(), out.string()}),
       "dpkg-deb -b");
  return out;
}

/// A scratch root with its own dpkg database, and the platform it reports to.
struct package_host : test::installed_host<package_host> {
  test::temp_dir dir;
  test::platform_process platform{dir / "platform"};
  std::pair<std::string, std::string> ids = platform.create_customer("Vulnerability");
  fs::path root = dir / "host";
  fs::path deb = built_deb();

  package_host() {
    // debconf as the host has it: under --root, debconf (DPKG_ROOT-aware)
    // reads this root's configuration and keeps its databases here, not
    // the machine's (and parallel cases share no lock).
    fs::create_directories(root / "var/cache/debconf");
    test::write_file(root / "etc/debconf.conf", test::read_file("/etc/debconf.conf"));
    test::write_file(root / "etc/machine-id", test::random_machine_id());
    for (auto sub : {"info", "updates", "triggers"})
      fs::create_directories(root / "var/lib/dpkg" / sub);
    test::write_file(root / "var/lib/dpkg/status", "");
  }

  ~package_host() {
    stop_agent();
  }

  /// install.conf as an administrator writes it before `dpkg -i`.
  std::string conf(const std::string& customer_id) const {
    return "# Vigil agent: install configuration (vigil-setup's arguments)\n"
           "CustomerId="
           + customer_id + "\nActivationId=" + ids.second + "\n  WebServiceUri="
           + platform.web_service_uri() + "  \n\nCaBundle=" + platform.ca_file().string()
           + "\nTrustKey=" + platform.trust_key_file().string() + "\n";
  }

  void write_conf(const std::string& text) const {
    test::write_file(root / "etc/vigil/install.conf", text);
  }

  test::process_result dpkg(std::vector<std::string> args,
                            std::vector<std::string> env = {}) const {
    args.insert(args.begin(), {"/usr/bin/dpkg", "--root=" + root.string(),
                               "--log=" + (dir / "dpkg.log").string(),
                               "--force-script-chrootless", "--force-depends"});
    // dpkg looks for ldconfig and start-stop-daemon on PATH.
    env.push_back("PATH=/usr/sbin:/usr/bin:/sbin:/bin");
    env.push_back("DEBIAN_FRONTEND=noninteractive");
    return test::run(args, env);
  }

  /// `lines` preseeded as an administrator (or Ansible's debconf module)
  /// does before installing: "vigil-agent vigil-agent/CustomerId string {G}".
  void preseed(const std::string& lines) const {
    auto r = test::run({"/usr/bin/debconf-set-selections"}, {"DPKG_ROOT=" + root.string()}, lines);
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  }

  /// dpkg's status of the package ("install ok installed"), or empty.
  std::string status() const {
    return dpkg({"--status", "vigil-agent"}).out;
  }

};

/// The REG_SZ value `name` of the agent key in `root`'s hive, or empty.
std::string hive_value(const fs::path& root, const std::string& name) {
  auto h = hive_file{root / "etc/opt/vigil/registry.reg"}.load();
  if (!h)
    return {};
  auto* v = h->get(std::string{agent_key}, name);
  return v && v->as_string() ? *v->as_string() : std::string{};
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

/// A low byte of a Windows Installer code, as a maintainer script's status.
int status_of(int installer_code) {
  return installer_code & 0xFF;
}

} // namespace

TEST_CASE("native package: dpkg -i with install.conf provisions; a newer .deb keeps the HostID; "
          "dpkg -r keeps the identity, dpkg -P removes it") {
  package_host h;
  auto control = test::run({"/usr/bin/dpkg-deb", "--info", h.deb.string()});
  for (auto& script : maintainer_scripts())
    CHECK(contains(control.out, script.first));
  MESSAGE(".deb: " << fs::file_size(h.deb) << " bytes");
  h.write_conf(h.conf(h.ids.first));
  auto started = std::chrono::steady_clock::now();
  auto installed = h.dpkg({"--install", h.deb.string()});
  CAPTURE(installed.out);
  CAPTURE(installed.err);
  REQUIRE(installed.exit_code == 0);
  MESSAGE("dpkg -i: " << std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::steady_clock::now() - started)
                           .count()
                      << " ms");
  CHECK(contains(h.status(), "Status: install ok installed"));
  // What vigil-setup writes: hive values, the pinned key, the CA, the unit.
  h.check_configured();
  CHECK(test::read_file(h.root / "etc/systemd/system/vigil-agent.service")
        == systemd_unit_text(paths{h.root}));
  CHECK(contains(h.installer_log(), "vigil-agent.postinst"));
  CHECK(contains(h.installer_log(), "committed"));
  // The agent runs, provisions and is listed by the platform.
  CHECK(h.agent_pid() > 0);
  REQUIRE(test::wait_until([&] { return !h.host_id().empty() && h.listed(h.host_id()); }, 10s));
  auto host = h.host_id();
  MESSAGE("dpkg -i to listed in assets: " << std::chrono::duration_cast<std::chrono::milliseconds>(
                                               std::chrono::steady_clock::now() - started)
                                               .count()
                                          << " ms");
  REQUIRE(test::wait_until(
    [&] { return contains(h.platform.request_log(), "v1/provision"); }, 10s));

  // A newer .deb over it is PatchInstall: identity, token and state kept.
  test::write_file(h.root / "var/opt/vigil/state/kept-by-upgrade", "1");
  auto newer = deb_of_version(h.deb, h.dir.path(), "0.2.0");
  auto log_before = h.platform.request_log().size();
  auto upgraded = h.dpkg({"--install", newer.string()});
  CAPTURE(upgraded.err);
  REQUIRE(upgraded.exit_code == 0);
  CHECK(test::read_file(h.root / "opt/vigil/VERSION") == "0.2.0\n");
  CHECK(contains(h.status(), "Version: 0.2.0"));
  CHECK(h.host_id() == host);
  CHECK(fs::exists(h.root / "var/opt/vigil/state/kept-by-upgrade"));
  CHECK(fs::exists(h.root / "var/opt/vigil/state/pristine/0.2.0"));
  CHECK(contains(h.installer_log(), "PatchInstall=TRUE"));
  CHECK(test::wait_until([&] { return h.agent_pid() > 0; }, 10s));
  CHECK(test::wait_until([&] {
    return contains(test::read_file(h.root / "var/opt/vigil/Log/Provision.log"), "is provisioned");
  }, 10s));
  CHECK_FALSE(contains(h.platform.request_log().substr(log_before), "v1/provision"));

  // dpkg -r is Uninstall=True: the agent, its files and data go, the
  // identity stays.
  auto pid = h.agent_pid();
  auto removed = h.dpkg({"--remove", "vigil-agent"});
  CAPTURE(removed.err);
  REQUIRE(removed.exit_code == 0);
  CHECK(contains(h.status(), "Status: deinstall ok config-files"));
  CHECK(test::wait_until([&] { return ::kill(pid, 0) != 0; }, 10s));
  CHECK_FALSE(fs::exists(h.root / "opt/vigil"));
  CHECK_FALSE(fs::exists(h.root / "etc/systemd/system/vigil-agent.service"));
  CHECK_FALSE(fs::exists(h.root / "var/opt/vigil/state"));
  CHECK(fs::exists(h.root / "var/opt/vigil/CloudAgentInstaller.log"));
  CHECK(h.host_id() == host);

  // Installed again without install.conf: the kept configuration is used,
  // the same HostID comes back.
  fs::remove(h.root / "etc/vigil/install.conf");
  auto again = h.dpkg({"--install", newer.string()});
  CAPTURE(again.err);
  REQUIRE(again.exit_code == 0);
  CHECK(h.host_id() == host);
  CHECK(test::wait_until([&] { return h.agent_pid() > 0; }, 10s));

  // dpkg -P is Force=True: the identity goes too.
  pid = h.agent_pid();
  auto purged = h.dpkg({"--purge", "vigil-agent"});
  CAPTURE(purged.err);
  REQUIRE(purged.exit_code == 0);
  CHECK(test::wait_until([&] { return ::kill(pid, 0) != 0; }, 10s));
  CHECK_FALSE(contains(h.status(), "Status: install"));
  CHECK_FALSE(fs::exists(h.root / "opt/vigil"));
  CHECK_FALSE(fs::exists(h.root / "etc/opt/vigil"));
  CHECK_FALSE(fs::exists(secret_box::host_key_file(paths{h.root})));
  CHECK(h.host_id().empty());
  CHECK(contains(h.installer_log(), "purge: hive and host key removed"));
}

TEST_CASE("native package: a bad install.conf fails dpkg -i with vigil-setup's message and "
          "leaves nothing behind; fixed, dpkg --configure installs") {
  package_host h;
  auto bad = h.conf("{1234-not-a-guid}");
  h.write_conf(bad);
  auto r = h.dpkg({"--install", h.deb.string()});
  CHECK(r.exit_code != 0);
  // vigil-setup's own words for the same argument.
  auto setup = test::run({test::program("vigil-setup").string(), "--root",
                          (h.dir / "setup-root").string(), "CustomerId={1234-not-a-guid}",
                          "ActivationId=" + h.ids.second,
                          "WebServiceUri=" + h.platform.web_service_uri()});
  REQUIRE(setup.exit_code == status_of(installer_exit::invalid_command_line));
  auto reason = setup.err.substr(std::string{"vigil-setup: "}.size());
  reason = reason.substr(0, reason.find('\n'));
  CAPTURE(r.err);
  CHECK(contains(r.err, "install.conf: " + reason));
  CHECK(contains(r.err, "(exit code 1639)"));
  // Nothing half-done: no hive, no unit, no agent data, no agent. dpkg
  // keeps the files unconfigured until the configuration is fixed.
  CHECK_FALSE(fs::exists(h.root / "etc/opt/vigil"));
  CHECK_FALSE(fs::exists(h.root / "etc/systemd/system/vigil-agent.service"));
  CHECK_FALSE(fs::exists(h.root / "var/opt/vigil"));
  CHECK(h.agent_pid() == 0);
  CHECK(contains(h.status(), "half-configured"));
  // No configuration at all is refused the same way.
  fs::remove(h.root / "etc/vigil/install.conf");
  auto none = h.dpkg({"--configure", "vigil-agent"});
  CHECK(none.exit_code != 0);
  CHECK(contains(none.err, "no configuration"));
  CHECK_FALSE(fs::exists(h.root / "etc/opt/vigil"));
  // Fixed: configured, provisioned.
  h.write_conf(h.conf(h.ids.first));
  auto fixed = h.dpkg({"--configure", "vigil-agent"});
  CAPTURE(fixed.err);
  REQUIRE(fixed.exit_code == 0);
  CHECK(contains(h.status(), "Status: install ok installed"));
  CHECK(test::wait_until([&] { return !h.host_id().empty() && h.listed(h.host_id()); }, 10s));
  REQUIRE(h.dpkg({"--purge", "vigil-agent"}).exit_code == 0);
  CHECK_FALSE(fs::exists(h.root / "etc/opt/vigil"));
}

TEST_CASE("native package: with no install.conf, dpkg -i takes the answers preseeded in debconf; "
          "a bad one fails it with vigil-setup's message and leaves nothing behind") {
  package_host h;
  auto preseed = [&](const std::string& customer_id) {
    h.preseed("vigil-agent vigil-agent/CustomerId string " + customer_id
              + "\nvigil-agent vigil-agent/ActivationId string " + h.ids.second
              + "\nvigil-agent vigil-agent/WebServiceUri string " + h.platform.web_service_uri()
              + "\nvigil-agent vigil-agent/CaBundle string " + h.platform.ca_file().string()
              + "\nvigil-agent vigil-agent/TrustKey string " + h.platform.trust_key_file().string()
              + "\n");
  };
  auto control = test::run({"/usr/bin/dpkg-deb", "--info", h.deb.string(), "templates"});
  CHECK(contains(control.out, "Template: vigil-agent/CustomerId"));
  preseed("{1234-not-a-guid}");
  auto bad = h.dpkg({"--install", h.deb.string()});
  CAPTURE(bad.err);
  CHECK(bad.exit_code != 0);
  CHECK(contains(bad.err, "debconf (vigil-agent/...): CustomerId: '{1234-not-a-guid}' is not a GUID"));
  CHECK(contains(bad.err, "(exit code 1639)"));
  CHECK_FALSE(fs::exists(h.root / "etc/opt/vigil"));
  CHECK_FALSE(fs::exists(h.root / "var/opt/vigil"));
  CHECK(h.agent_pid() == 0);
  // Preseeded right: configured as install.conf would, provisioned.
  preseed(h.ids.first);
  auto fixed = h.dpkg({"--configure", "vigil-agent"});
  CAPTURE(fixed.err);
  REQUIRE(fixed.exit_code == 0);
  h.check_configured();
  CHECK(contains(h.installer_log(), "fresh install configured by debconf"));
  CHECK(test::wait_until([&] { return !h.host_id().empty() && h.listed(h.host_id()); }, 10s));
  REQUIRE(h.dpkg({"--purge", "vigil-agent"}).exit_code == 0);
}

TEST_CASE("native package: over a package older than its scripts, dpkg -i installs as fresh "
          "from install.conf") {
  package_host h;
  auto old = deb_of_version(h.deb, h.dir.path(), "0.0.9", false);
  auto r = h.dpkg({"--install", old.string()});
  CAPTURE(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_FALSE(fs::exists(h.root / "etc/opt/vigil")); // files only, as such packages did
  h.write_conf(h.conf(h.ids.first));
  auto upgraded = h.dpkg({"--install", h.deb.string()});
  CAPTURE(upgraded.err);
  REQUIRE(upgraded.exit_code == 0);
  CHECK(contains(h.installer_log(), "fresh install configured by"));
  CHECK(hive_value(h.root, "CustomerId") == h.ids.first);
  CHECK(test::wait_until([&] { return !h.host_id().empty() && h.listed(h.host_id()); }, 10s));
}

TEST_CASE("native package: while self-protection is on, dpkg -r needs a valid VIGIL_SPFKEY") {
  package_host h;
  h.write_conf(h.conf(h.ids.first));
  REQUIRE(h.dpkg({"--install", h.deb.string()}).exit_code == 0);
  REQUIRE(test::wait_until([&] { return !h.host_id().empty() && h.listed(h.host_id()); }, 10s));
  REQUIRE(test::reg_add(h.root, "SelfProtection", "Enabled", "REG_DWORD", "1") == 0);
  auto key = test::run({test::program("vigil-platform").string(), "spfkey", "--data-dir",
                        h.platform.data_dir().string(), "--host", h.host_id()});
  REQUIRE(key.exit_code == 0);
  auto at = key.out.find("SPFKEY=");
  REQUIRE(at != std::string::npos);
  auto spfkey = key.out.substr(at + 7);
  spfkey = spfkey.substr(0, spfkey.find('\n'));
  for (auto& env : {std::vector<std::string>{},
                    std::vector<std::string>{std::string{spfkey_variable} + "=not-a-key"}}) {
    auto refused = h.dpkg({"--remove", "vigil-agent"}, env);
    CAPTURE(refused.err);
    CHECK(refused.exit_code != 0);
    CHECK(contains(refused.err, "uninstall refused"));
    // Nothing removed; dpkg put the package back (postinst abort-remove):
    // installed, only marked for removal.
    CAPTURE(h.status());
    CHECK(contains(h.status(), "Status: deinstall ok installed"));
    CHECK(fs::exists(h.root / "opt/vigil/bin/vigil-agent"));
    CHECK(fs::exists(h.root / "var/opt/vigil/state"));
    CHECK(h.agent_pid() > 0);
  }
  auto removed = h.dpkg({"--remove", "vigil-agent"}, {std::string{spfkey_variable} + "=" + spfkey});
  CAPTURE(removed.err);
  CHECK(removed.exit_code == 0);
  CHECK_FALSE(fs::exists(h.root / "opt/vigil"));
  CHECK_FALSE(contains(h.installer_log(), spfkey));
}

TEST_CASE("native package: the build's own .deb carries Extract=deb's maintainer scripts, byte "
          "for byte") {
  // Before, `dpkg -i build/package/vigil-agent_*.deb` unpacked files and ran
  // nothing: no hive, no service (issue 19's first defect, for whoever
  // builds from source).
  test::temp_dir dir;
  auto extract = [&](const fs::path& deb, const std::string& name) {
    auto out = dir / name;
    auto r = test::run({"/usr/bin/dpkg-deb", "-e", deb.string(), out.string()});
    REQUIRE(r.exit_code == 0);
    return out;
  };
  auto built = extract(fs::path{VIGIL_TEST_BUILD_DIR} / "package/vigil-agent_0.1.0_amd64.deb",
                       "built");
  auto extracted = extract(built_deb(), "extracted");
  for (auto script : {"postinst", "prerm", "postrm"}) {
    CAPTURE(script);
    REQUIRE(fs::exists(built / script));
    CHECK(test::read_file(built / script) == test::read_file(extracted / script));
    CHECK((fs::status(built / script).permissions() & fs::perms::owner_exec) != fs::perms::none);
  }
}

TEST_CASE("native package: a Linux vigil-setup refuses ExtractMSI=64 and Extract=msi, naming "
          "the setup that makes the MSI, and writes nothing") {
  test::temp_dir dir;
  for (std::string arg : {"ExtractMSI=64", "Extract=msi"}) {
    CAPTURE(arg);
    auto r = test::run({test::program("vigil-setup").string(), "--root", (dir / "root").string(),
                        arg, "Dir=" + dir.path().string()});
    CHECK(r.exit_code == installer_exit::fatal % 256);
    CHECK(r.err.find("this vigil-setup makes deb packages; the Windows vigil-setup.exe makes "
                     "the msi")
          != std::string::npos);
  }
  for (auto& entry : fs::directory_iterator(dir.path()))
    CHECK(entry.path().filename() == "root");
}

TEST_CASE("native package: lintian finds no error in Extract=deb's .deb nor in the build's") {
  if (!fs::exists("/usr/bin/lintian")) {
    MESSAGE("lintian is not installed (scripts/install-deps.sh installs it): not checked");
    return;
  }
  // Before: malformed-contact (Maintainer had no address), no-copyright-file
  // and no-changelog. /opt (SPEC §1) is overridden in the package, as vendors
  // do.
  auto build_deb = fs::path{VIGIL_TEST_BUILD_DIR} / "package" / "vigil-agent_0.1.0_amd64.deb";
  for (auto& deb : {built_deb(), build_deb}) {
    CAPTURE(deb);
    auto r = test::run({"/usr/bin/lintian", "--tag-display-limit", "0", deb.string()});
    MESSAGE("lintian " << deb.filename().string() << ":\n" << r.out);
    std::istringstream lines{r.out};
    std::string errors;
    for (std::string line; std::getline(lines, line);)
      if (line.starts_with("E: "))
        errors += line + "\n";
    CHECK_MESSAGE(errors.empty(), errors);
    CHECK(r.exit_code == 0);
  }
  // Both carry the policy files, the same bytes.
  auto doc = [](const fs::path& deb, const std::string& file) {
    return test::run({"/bin/sh", "-c",
                      "dpkg-deb --fsys-tarfile \"$0\" | tar -xO ./usr/share/doc/vigil-agent/$1",
                      deb.string(), file})
      .out;
  };
  for (std::string file : {"copyright", "changelog.gz"}) {
    CAPTURE(file);
    CHECK_FALSE(doc(built_deb(), file).empty());
    CHECK(doc(built_deb(), file) == doc(build_deb, file));
  }
}

namespace {

/// `vigil-platform package` for the host's platform and customer; returns
/// the file written.
fs::path platform_package(const package_host& h, const std::string& type) {
  auto out = h.dir / ("enrolled." + type);
  auto started = std::chrono::steady_clock::now();
  auto r = test::run({test::program("vigil-platform").string(), "package", "--data-dir",
                      h.platform.data_dir().string(), "--type", type, "--activation",
                      h.ids.second, "--url", h.platform.web_service_uri(), "--out",
                      out.string()});
  if (r.exit_code != 0)
    throw std::runtime_error("vigil-platform package failed: " + r.err);
  MESSAGE("vigil-platform package --type " << type << ": " << fs::file_size(out) << " bytes in "
                                           << std::chrono::duration_cast<std::chrono::seconds>(
                                                std::chrono::steady_clock::now() - started)
                                                .count()
                                           << " s");
  return out;
}

} // namespace

TEST_CASE("native package: vigil-platform package --type setup makes a vigil-setup that enrolls "
          "with no arguments; arguments given win") {
  package_host h;
  auto setup = platform_package(h, "setup");
  auto r = test::run({setup.string(), "--root", h.root.string()});
  CAPTURE(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(hive_value(h.root, "CustomerId") == h.ids.first);
  CHECK(hive_value(h.root, "ActivationId") == h.ids.second);
  CHECK(hive_value(h.root, "WebServiceUri") == h.platform.web_service_uri());
  auto hive = hive_file{h.root / "etc/opt/vigil/registry.reg"}.load();
  REQUIRE(hive);
  auto* root_key = hive->get(std::string{agent_key} + "\\Trust", "RootKey");
  REQUIRE(root_key != nullptr);
  CHECK(*root_key->as_string() + "\n" == test::read_file(h.platform.trust_key_file()));
  CHECK(test::read_file(h.root / "var/opt/vigil/state/ca-bundle.pem")
        == test::read_file(h.platform.ca_file()));
  CHECK(test::wait_until([&] { return !h.host_id().empty() && h.listed(h.host_id()); }, 10s));
  // The enrollment stays out of the program files.
  CHECK_FALSE(fs::exists(h.root / "opt/vigil/package"));
  // Another customer's IDs given at install replace the packaged ones.
  auto other = h.platform.create_customer("Vulnerability");
  auto root2 = h.dir / "host2";
  test::write_file(root2 / "etc/machine-id", test::random_machine_id());
  auto given = test::run({setup.string(), "--root", root2.string(), "CustomerId=" + other.first,
                          "ActivationId=" + other.second});
  CAPTURE(given.err);
  REQUIRE(given.exit_code == 0);
  CHECK(hive_value(root2, "CustomerId") == other.first);
  CHECK(hive_value(root2, "ActivationId") == other.second);
  CHECK(hive_value(root2, "WebServiceUri") == h.platform.web_service_uri());
  CHECK(test::wait_until([&] { return h.listed(test::host_id_of(root2)); }, 10s));
  test::run({(root2 / "opt/vigil/bin/vigil-uninstall").string(), "--root", root2.string(),
             "Uninstall=True"});
  // An unknown activation key makes no installer.
  auto unknown = test::run({test::program("vigil-platform").string(), "package", "--data-dir",
                            h.platform.data_dir().string(), "--type", "setup", "--activation",
                            "{00000000-0000-0000-0000-000000000000}", "--out",
                            (h.dir / "none").string()});
  CHECK(unknown.exit_code != 0);
  CHECK_FALSE(fs::exists(h.dir / "none"));
}

TEST_CASE("native package: vigil-platform package --type deb makes a .deb that enrolls through "
          "dpkg -i with no install.conf") {
  package_host h;
  auto deb = platform_package(h, "deb");
  auto installed = h.dpkg({"--install", deb.string()});
  CAPTURE(installed.err);
  REQUIRE(installed.exit_code == 0);
  CHECK(fs::exists(h.root / "usr/share/vigil-agent/enroll.conf"));
  CHECK(hive_value(h.root, "CustomerId") == h.ids.first);
  CHECK(test::read_file(h.root / "var/opt/vigil/state/ca-bundle.pem")
        == test::read_file(h.platform.ca_file()));
  CHECK(test::wait_until([&] { return !h.host_id().empty() && h.listed(h.host_id()); }, 10s));
  REQUIRE(h.dpkg({"--purge", "vigil-agent"}).exit_code == 0);
  CHECK_FALSE(fs::exists(h.root / "usr/share/vigil-agent"));
  // install.conf's keys win over the package's.
  auto other = h.platform.create_customer("Vulnerability");
  h.write_conf("CustomerId=" + other.first + "\nActivationId=" + other.second + "\n");
  auto again = h.dpkg({"--install", deb.string()});
  CAPTURE(again.err);
  REQUIRE(again.exit_code == 0);
  CHECK(hive_value(h.root, "CustomerId") == other.first);
  CHECK(hive_value(h.root, "WebServiceUri") == h.platform.web_service_uri());
  CHECK(test::wait_until([&] { return !h.host_id().empty() && h.listed(h.host_id()); }, 10s));
}
