// The .rpm as administrators of RHEL-family fleets use it (issue 19, item 2):
// the build's real .rpm (make_rpm_package over the payload, by rpmbuild:
// build/package/vigil-agent-<ver>-1.x86_64.rpm) and the one `vigil-platform
// package --type rpm` makes (item 3),
// installed, upgraded and erased by the real rpm in a scratch root against a
// real vigil-platform; the same steps as the .deb (native_package_test).
//
// How rpm runs here: `rpm --root ROOT` chroots into ROOT to install the files
// and run the scriptlets, so ROOT must be a system the scriptlets' /bin/sh,
// the installed vigil-uninstall and the agent it starts can run in. The case
// runs itself again inside a mount and network namespace of its own
// (test::rerun_in_own_namespaces, `unshare -n -m --propagation private`: its
// own loopback, where the platform and the agent meet), and there binds the
// host's multiarch library directory, /etc/ssl and /dev read-only into ROOT
// (/bin, /sbin, /lib64 as the host's symlinks into usr/), lays ROOT/usr over
// the host's /usr (an overlay whose writes go to the test's own layer), mounts a
// proc, and copies passwd, group and ld.so.cache. ROOT's /lib, /etc, /opt and /var are its own, so every file the
// package and the agent write stays in ROOT; the mounts are detached before
// ROOT is deleted. rpm's database is ROOT/var/lib/rpm (`--dbpath`, made by
// `--initdb`); `--nodeps`: it lists none of the libraries the package needs
// (the host has them). ROOT has no /run/systemd/system, so the scriptlets'
// `--root /` finds no systemd and the agent runs chrooted under the built-in
// supervisor, whatever runs the host.

#include <doctest/doctest.h>
#include <algorithm>
#include <csignal>
#include <cstring>
#include <regex>
#include <set>
#include <sstream>
#include <sys/mount.h>
#include <unistd.h>

#include "common/text.hpp"
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

constexpr const char* namespace_marker = "VIGIL_RPM_NAMESPACE";

/// The .rpm this build made (installer/CMakeLists.txt).
fs::path built_rpm() {
  return fs::path{VIGIL_TEST_BUILD_DIR} / "package" / "vigil-agent-0.1.0-1.x86_64.rpm";
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

long long ms_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now()
                                                               - start)
    .count();
}

/// Whether this is the run inside the namespaces, which does the work. Else
/// (the run ctest started) runs the cases matching `filter` there and checks
/// they passed, or skips with a message where rpm cannot run.
bool inside_namespace(const std::string& filter) {
  if (std::getenv(namespace_marker) != nullptr)
    return true;
  if (::geteuid() != 0) {
    MESSAGE("skipped: rpm --root chroots and the test mounts: needs root");
    return false;
  }
  if (!fs::exists("/usr/bin/rpm") || !fs::exists(built_rpm())) {
    MESSAGE("skipped: no rpm or no " << built_rpm()
                                      << " (scripts/install-deps.sh installs Debian's rpm)");
    return false;
  }
  auto r = test::rerun_in_own_namespaces(namespace_marker, filter, "");
  // The inner run's measurements, shown here.
  std::istringstream lines{r.out};
  for (std::string line; std::getline(lines, line);)
    if (contains(line, "MESSAGE: "))
      MESSAGE(line.substr(line.find("MESSAGE: ") + 9));
  INFO(r.out);
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(contains(r.out, "Status: SUCCESS"));
  CHECK(contains(r.out, " 1 passed")); // the case ran inside
  return false;
}

/// ROOT made chroot-able (see the top of the file); every mount detached on
/// destruction, before anything deletes ROOT.
class chroot_root {
public:
  explicit chroot_root(const fs::path& root) : root_{root} {
    // A mount left behind by a failure here would be under ROOT when it is
    // deleted: every one is detached first.
    try {
      for (auto dir : {"etc/vigil", "lib", "tmp", "var/tmp", "usr", "dev", "proc", "etc/ssl"})
        fs::create_directories(root / dir);
      fs::permissions(root / "tmp", fs::perms::all | fs::perms::sticky_bit);
      fs::permissions(root / "var/tmp", fs::perms::all | fs::perms::sticky_bit);
      for (auto link : {"bin", "sbin", "lib64"}) {
        auto host = fs::path{"/"} / link;
        if (fs::is_symlink(host))
          fs::create_symlink(fs::read_symlink(host), root / link);
        else if (fs::is_directory(host))
          bind(host, link);
      }
      // /usr as an overlay: the host's below, read-only; what the package
      // installs there (the enrollment in /usr/share/vigil-agent) goes to
      // ROOT's own upper layer beside ROOT.
      auto upper = root.parent_path() / (root.filename().string() + "-usr");
      fs::create_directories(upper / "upper");
      fs::create_directories(upper / "work");
      auto layers = "lowerdir=/usr,upperdir=" + (upper / "upper").string()
                    + ",workdir=" + (upper / "work").string();
      if (::mount("overlay", (root / "usr").c_str(), "overlay", 0, layers.c_str()) != 0)
        throw std::runtime_error("overlay on usr: " + std::string{std::strerror(errno)});
      mounted_.push_back(root / "usr");
      auto multiarch = fs::canonical("/lib/x86_64-linux-gnu");
      fs::create_directories(root / "lib/x86_64-linux-gnu");
      bind(multiarch, "lib/x86_64-linux-gnu");
      bind("/etc/ssl", "etc/ssl");
      bind("/dev", "dev");
      if (::mount("proc", (root / "proc").c_str(), "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC,
                  nullptr)
          != 0)
        throw std::runtime_error("mount proc: " + std::string{std::strerror(errno)});
      mounted_.push_back(root / "proc");
      if (VIGIL_SANITIZE) {
        // The sanitizers' suppressions and reports directory at the paths
        // compiled into the programs (common/sanitizer_defaults.cpp): the
        // chrooted agent reads the one and writes its findings to the other,
        // where scripts/test-sanitized.sh looks.
        auto scripts = fs::path{VIGIL_TEST_SOURCE_DIR} / "scripts";
        auto reports = fs::path{VIGIL_TEST_BUILD_DIR} / "sanitizer-reports";
        fs::create_directories(reports);
        for (auto& dir : {scripts, reports})
          fs::create_directories(root / dir.relative_path());
        bind(scripts, scripts.relative_path().string());
        bind(reports, reports.relative_path().string(), writable);
      }
      for (auto file : {"passwd", "group", "ld.so.cache"})
        if (fs::exists(fs::path{"/etc"} / file))
          fs::copy_file(fs::path{"/etc"} / file, root / "etc" / file);
    } catch (...) {
      detach();
      throw;
    }
  }

  ~chroot_root() {
    detach();
  }

  chroot_root(const chroot_root&) = delete;
  chroot_root& operator=(const chroot_root&) = delete;

private:
  void detach() {
    for (auto it = mounted_.rbegin(); it != mounted_.rend(); ++it)
      ::umount2(it->c_str(), MNT_DETACH);
    mounted_.clear();
  }

  static constexpr bool writable = true;

  /// `source` bound read-only at ROOT/`target`: nothing in the chroot, nor
  /// a deletion of ROOT, can change the host's files (unless `writable`).
  void bind(const fs::path& source, const std::string& target, bool writable = false) {
    auto at = root_ / target;
    if (::mount(source.c_str(), at.c_str(), nullptr, MS_BIND, nullptr) != 0)
      throw std::runtime_error("bind " + source.string() + ": " + std::strerror(errno));
    mounted_.push_back(at);
    if (writable)
      return;
    if (::mount(nullptr, at.c_str(), nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY, nullptr) != 0)
      throw std::runtime_error("read-only " + at.string() + ": " + std::strerror(errno));
  }

  fs::path root_;
  std::vector<fs::path> mounted_;
};

/// The processes whose root directory is `root` (the chrooted agent,
/// supervisor and worker, whose command lines say `--root /`).
std::vector<int> chrooted_in(const fs::path& root) {
  return test::processes_matching([&](const fs::path& proc) {
    std::error_code gone;
    return fs::read_symlink(proc / "root", gone) == root;
  });
}

/// `rpm` rebuilt as version `version` with rpmbuild: its files (from
/// rpm2archive) with opt/vigil/VERSION changed, the same scriptlets
/// (`maintainer_scripts(package_format::rpm)`): a newer release as a
/// repository would offer it.
fs::path rpm_of_version(const fs::path& rpm, const fs::path& dir, const std::string& version) {
  auto must = [](const test::process_result& r, const std::string& what) {
    if (r.exit_code != 0)
      throw std::runtime_error(what + " failed: " + r.err);
  };
  auto work = dir / ("rpm-" + version);
  auto tree = work / "tree";
  fs::create_directories(tree);
  must(test::run({"/bin/sh", "-c", "rpm2archive -n - <\"$0\" | tar -x -C \"$1\"", rpm.string(),
                  tree.string()}),
       "rpm2archive");
  test::write_file(tree / "opt/vigil/VERSION", version + "\n");
  std::string spec = "Name: vigil-agent\nVersion: " + version
                     + "\nRelease: 1\nSummary: Vigil endpoint agent\nLicense: unknown\n"
                       "BuildArch: x86_64\nAutoReqProv: no\n"
                       "%define _build_id_links none\n%define __os_install_post %{nil}\n"
                       "%define debug_package %{nil}\n"
                       "%description\nVigil endpoint agent.\n"
                       "%install\ncp -a '"
                     + tree.string() + "'/. %{buildroot}/\n";
  for (auto& [name, text] : maintainer_scripts(package_format::rpm)) {
    std::string escaped;
    for (char c : text)
      escaped += c == '%' ? std::string{"%%"} : std::string(1, c);
    spec += "%" + name + "\n" + escaped;
  }
  spec += "%files\n%dir /opt/vigil\n%dir /opt/vigil/bin\n/opt/vigil/bin/*\n/opt/vigil/VERSION\n"
          "/lib/systemd/system/vigil-agent.service\n";
  test::write_file(work / "vigil-agent.spec", spec);
  must(test::run({"/usr/bin/rpmbuild", "-bb", "--define", "_topdir " + (work / "top").string(),
                  "--define", "_rpmdir " + (work / "out").string(), "--define",
                  "_binary_payload w1.gzdio",
                  (work / "vigil-agent.spec").string()}),
       "rpmbuild");
  return work / "out" / "x86_64" / ("vigil-agent-" + version + "-1.x86_64.rpm");
}

/// A chroot-able scratch root with its own rpm database, and the platform
/// it reports to.
struct rpm_host : test::installed_host<rpm_host> {
  test::temp_dir dir;
  test::platform_process platform{dir / "platform"};
  std::pair<std::string, std::string> ids = platform.create_customer("Vulnerability");
  fs::path root = dir / "host";
  fs::path rpm = built_rpm();
  chroot_root chroot{root}; // detached before `dir` goes

  rpm_host() {
    test::write_file(root / "etc/machine-id", test::random_machine_id());
    // The platform's CA and key where the administrator's install.conf
    // names them: inside the host, as rpm's scriptlets see it.
    fs::copy_file(platform.ca_file(), root / "etc/vigil/ca.pem");
    fs::copy_file(platform.trust_key_file(), root / "etc/vigil/signing-key.pub");
    auto init = run({"--initdb"});
    if (init.exit_code != 0)
      throw std::runtime_error("rpm --initdb failed: " + init.err);
  }

  ~rpm_host() {
    test::stop_agent(root);
    for (int round = 0; round < 5; ++round) {
      auto left = chrooted_in(root);
      if (left.empty())
        break;
      for (auto pid : left)
        ::kill(pid, SIGKILL);
      test::wait_until([&] { return chrooted_in(root).empty(); }, 2s);
    }
  }

  /// install.conf as an administrator writes it before `rpm -i`.
  std::string conf(const std::string& customer_id) const {
    return "# Vigil agent: install configuration (vigil-setup's arguments)\n"
           "CustomerId="
           + customer_id + "\nActivationId=" + ids.second
           + "\nWebServiceUri=" + platform.web_service_uri()
           + "\nCaBundle=/etc/vigil/ca.pem\nTrustKey=/etc/vigil/signing-key.pub\n";
  }

  void write_conf(const std::string& text) const {
    test::write_file(root / "etc/vigil/install.conf", text);
  }

  /// `rpm --root ROOT --dbpath /var/lib/rpm ARGS...`.
  test::process_result run(std::vector<std::string> args,
                           std::vector<std::string> env = {}) const {
    args.insert(args.begin(), {"/usr/bin/rpm", "--root", root.string(), "--dbpath", "/var/lib/rpm"});
    env.push_back("PATH=/usr/sbin:/usr/bin:/sbin:/bin");
    return test::run(args, env);
  }

  test::process_result install(const fs::path& package, std::vector<std::string> env = {},
                               const std::string& mode = "-i") const {
    return run({mode, "--nodeps", package.string()}, std::move(env));
  }

  test::process_result erase(std::vector<std::string> env = {}) const {
    return run({"-e", "--nodeps", "vigil-agent"}, std::move(env));
  }

  /// `rpm -q vigil-agent`: "vigil-agent-0.1.0-1.x86_64", or empty.
  std::string installed() const {
    auto r = run({"-q", "vigil-agent"});
    return r.exit_code == 0 ? r.out.substr(0, r.out.find('\n')) : std::string{};
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

} // namespace

TEST_CASE("rpm package: rpm -i with install.conf provisions; a newer .rpm keeps the HostID; "
          "rpm -e keeps the identity, VIGIL_PURGE=1 rpm -e removes it") {
  if (!inside_namespace("rpm package: rpm -i with install.conf provisions*"))
    return;
  rpm_host h;
  // The scriptlets are maintainer_scripts(rpm), the .deb's steps.
  auto scripts = h.run({"-qp", "--scripts", h.rpm.string()});
  for (auto& [name, text] : maintainer_scripts(package_format::rpm))
    CHECK_MESSAGE(contains(scripts.out, text), name);
  MESSAGE(".rpm: " << fs::file_size(h.rpm) << " bytes");
  h.write_conf(h.conf(h.ids.first));
  auto started = std::chrono::steady_clock::now();
  auto installed = h.install(h.rpm);
  CAPTURE(installed.out);
  CAPTURE(installed.err);
  REQUIRE(installed.exit_code == 0);
  MESSAGE("rpm -i: " << ms_since(started) << " ms");
  CHECK(h.installed() == "vigil-agent-0.1.0-1.x86_64");
  // What vigil-setup writes: hive values, the pinned key, the CA, the unit.
  h.check_configured();
  // The unit for the real root: the host as the chrooted scriptlet sees it.
  CHECK(test::read_file(h.root / "etc/systemd/system/vigil-agent.service")
        == systemd_unit_text(paths{"/"}));
  CHECK(test::read_file(h.root / "lib/systemd/system/vigil-agent.service")
        == systemd_unit_text(paths{"/"}));
  CHECK(contains(h.installer_log(), "vigil-agent.postinst"));
  CHECK(contains(h.installer_log(), "committed"));
  // The agent runs, provisions and is listed by the platform.
  CHECK(h.agent_pid() > 0);
  REQUIRE(test::wait_until([&] { return !h.host_id().empty() && h.listed(h.host_id()); }, 10s));
  auto host = h.host_id();
  MESSAGE("rpm -i to listed in assets: " << ms_since(started) << " ms");
  REQUIRE(test::wait_until(
    [&] { return contains(h.platform.request_log(), "v1/provision"); }, 10s));

  // A newer .rpm over it (rpm -U) is PatchInstall: identity, token and
  // state kept; the old package's %preun and %postun, which rpm runs after
  // the new %post, remove nothing.
  test::write_file(h.root / "var/opt/vigil/state/kept-by-upgrade", "1");
  auto newer = rpm_of_version(h.rpm, h.dir.path(), "0.2.0");
  auto log_before = h.platform.request_log().size();
  started = std::chrono::steady_clock::now();
  auto upgraded = h.install(newer, {}, "-U");
  CAPTURE(upgraded.err);
  REQUIRE(upgraded.exit_code == 0);
  MESSAGE("rpm -U: " << ms_since(started) << " ms");
  CHECK(h.installed() == "vigil-agent-0.2.0-1.x86_64");
  CHECK(test::read_file(h.root / "opt/vigil/VERSION") == "0.2.0\n");
  CHECK(h.host_id() == host);
  CHECK(fs::exists(h.root / "var/opt/vigil/state/kept-by-upgrade"));
  CHECK_FALSE(fs::exists(h.root / "var/opt/vigil/state/rpm-upgrade-from"));
  CHECK(fs::exists(h.root / "var/opt/vigil/state/pristine/0.2.0"));
  CHECK(fs::exists(h.root / "etc/systemd/system/vigil-agent.service"));
  CHECK(contains(h.installer_log(), "upgrade from 0.1.0: PatchInstall=TRUE"));
  CHECK(contains(h.installer_log(), "run: prerm upgrade")); // the new %pre stopped the agent
  CHECK_FALSE(contains(h.installer_log(), "removal: Uninstall=True")); // the old %preun: nothing
  CHECK(test::wait_until([&] { return h.agent_pid() > 0; }, 10s));
  CHECK(test::wait_until([&] {
    return contains(test::read_file(h.root / "var/opt/vigil/Log/Provision.log"), "is provisioned");
  }, 10s));
  CHECK_FALSE(contains(h.platform.request_log().substr(log_before), "v1/provision"));

  // rpm -e is Uninstall=True: the agent, its files and data go, the
  // identity stays.
  auto pid = h.agent_pid();
  auto removed = h.erase();
  CAPTURE(removed.err);
  REQUIRE(removed.exit_code == 0);
  CHECK(h.installed().empty());
  CHECK(test::wait_until([&] { return ::kill(pid, 0) != 0; }, 10s));
  CHECK_FALSE(fs::exists(h.root / "opt/vigil"));
  CHECK_FALSE(fs::exists(h.root / "lib/systemd/system/vigil-agent.service"));
  CHECK_FALSE(fs::exists(h.root / "etc/systemd/system/vigil-agent.service"));
  CHECK_FALSE(fs::exists(h.root / "var/opt/vigil/state"));
  CHECK(fs::exists(h.root / "var/opt/vigil/CloudAgentInstaller.log"));
  CHECK(h.host_id() == host);

  // Installed again without install.conf: the kept configuration is used,
  // the same HostID comes back.
  fs::remove(h.root / "etc/vigil/install.conf");
  auto again = h.install(newer);
  CAPTURE(again.err);
  REQUIRE(again.exit_code == 0);
  CHECK(h.host_id() == host);
  CHECK(test::wait_until([&] { return h.agent_pid() > 0; }, 10s));

  // VIGIL_PURGE=1 rpm -e is Force=True: the identity goes too.
  pid = h.agent_pid();
  auto purged = h.erase({std::string{purge_variable} + "=1"});
  CAPTURE(purged.err);
  REQUIRE(purged.exit_code == 0);
  CHECK(test::wait_until([&] { return ::kill(pid, 0) != 0; }, 10s));
  CHECK(h.installed().empty());
  CHECK_FALSE(fs::exists(h.root / "opt/vigil"));
  CHECK_FALSE(fs::exists(h.root / "etc/opt/vigil"));
  CHECK_FALSE(fs::exists(secret_box::host_key_file(paths{h.root})));
  CHECK(h.host_id().empty());
  CHECK(contains(h.installer_log(), "vigil-agent.postun"));
  CHECK(contains(h.installer_log(), "purge: hive and host key removed"));
}

TEST_CASE("rpm package: a bad install.conf fails rpm -i's %post with vigil-setup's message and "
          "installs no agent; rpm -e leaves nothing; fixed, rpm --reinstall installs") {
  if (!inside_namespace("rpm package: a bad install.conf fails rpm -i*"))
    return;
  rpm_host h;
  h.write_conf(h.conf("{1234-not-a-guid}"));
  auto r = h.install(h.rpm);
  // rpm fails an install for its %pre only, which runs before the package's
  // programs are on disk; a failed %post is a warning and rpm -i exits 0
  // (rpm 4.18), so the refusal is the scriptlet's message and warning.
  CAPTURE(r.exit_code);
  CHECK(contains(r.err, "warning: %post(vigil-agent-0.1.0-1.x86_64) scriptlet failed, exit status "
                          + std::to_string(installer_exit::invalid_command_line & 0xFF)));
  // vigil-setup's own words for the same argument.
  auto setup = test::run({test::program("vigil-setup").string(), "--root",
                          (h.dir / "setup-root").string(), "CustomerId={1234-not-a-guid}",
                          "ActivationId=" + h.ids.second,
                          "WebServiceUri=" + h.platform.web_service_uri()});
  REQUIRE(setup.exit_code == (installer_exit::invalid_command_line & 0xFF));
  auto reason = setup.err.substr(std::string{"vigil-setup: "}.size());
  reason = reason.substr(0, reason.find('\n'));
  CAPTURE(r.err);
  CHECK(contains(r.err, "install.conf: " + reason));
  CHECK(contains(r.err, "(exit code 1639)"));
  // No agent: no hive, no unit, no agent data, no process. rpm has no
  // half-configured state: it lists the package's files (a failed %post
  // does not undo an install), which rpm -e takes away.
  CHECK_FALSE(fs::exists(h.root / "etc/opt/vigil"));
  CHECK_FALSE(fs::exists(h.root / "etc/systemd/system/vigil-agent.service"));
  CHECK_FALSE(fs::exists(h.root / "var/opt/vigil"));
  CHECK(h.agent_pid() == 0);
  CHECK(chrooted_in(h.root).empty());
  auto erased = h.erase();
  CAPTURE(erased.err);
  CHECK(erased.exit_code == 0);
  CHECK(h.installed().empty());
  CHECK_FALSE(fs::exists(h.root / "opt/vigil"));
  CHECK_FALSE(fs::exists(h.root / "etc/opt/vigil"));
  CHECK_FALSE(fs::exists(h.root / "var/opt/vigil/state"));
  // Or, fixed, reinstalled (`rpm --reinstall`, `dnf reinstall`: rpm's $1 is
  // 2, an upgrade of a package that configured nothing, so a fresh install
  // from install.conf): installed, provisioned.
  REQUIRE(h.install(h.rpm).exit_code == 0);
  CHECK_FALSE(fs::exists(h.root / "etc/opt/vigil"));
  h.write_conf(h.conf(h.ids.first));
  auto fixed = h.install(h.rpm, {}, "--reinstall");
  CAPTURE(fixed.err);
  REQUIRE(fixed.exit_code == 0);
  CHECK_FALSE(contains(fixed.err, "scriptlet failed"));
  CHECK(contains(h.installer_log(), "fresh install configured by"));
  CHECK(hive_value(h.root, "CustomerId") == h.ids.first);
  CHECK(test::wait_until([&] { return !h.host_id().empty() && h.listed(h.host_id()); }, 10s));
  REQUIRE(h.erase({std::string{purge_variable} + "=1"}).exit_code == 0);
  CHECK_FALSE(fs::exists(h.root / "etc/opt/vigil"));
}

TEST_CASE("rpm package: vigil-platform package --type rpm makes an .rpm that enrolls through "
          "rpm -i with no install.conf; the build's .rpm is the same package without the enrollment") {
  if (!inside_namespace("rpm package: vigil-platform package --type rpm*"))
    return;
  rpm_host h;
  auto enrolled = h.dir / "enrolled.rpm";
  auto started = std::chrono::steady_clock::now();
  auto made = test::run({test::program("vigil-platform").string(), "package", "--data-dir",
                         h.platform.data_dir().string(), "--type", "rpm", "--activation",
                         h.ids.second, "--url", h.platform.web_service_uri(), "--out",
                         enrolled.string()});
  CAPTURE(made.err);
  REQUIRE(made.exit_code == 0);
  MESSAGE("vigil-platform package --type rpm: " << ms_since(started) << " ms, "
                                                << fs::file_size(enrolled) << " bytes");
  // rpm's own checks of its digests, and the same package as the build's:
  // the same scriptlets, the same files plus the enrollment's.
  for (auto& package : {h.rpm, enrolled}) {
    auto checked = h.run({"--checksig", package.string()});
    CAPTURE(checked.out);
    CHECK(checked.exit_code == 0);
  }
  CHECK(h.run({"-qp", "--scripts", enrolled.string()}).out
        == h.run({"-qp", "--scripts", h.rpm.string()}).out);
  auto listed = [&](const fs::path& package) {
    return h.run({"-qp", "--qf", "[%{FILEMODES:perms} %{FILEUSERNAME} %{FILENAMES}\\n]",
                  package.string()})
      .out;
  };
  CHECK(listed(enrolled)
        == listed(h.rpm) + "drwxr-xr-x root /usr/share/vigil-agent\n"
                           "-rw-r--r-- root /usr/share/vigil-agent/ca.pem\n"
                           "-rw-r--r-- root /usr/share/vigil-agent/enroll.conf\n");
  CHECK(contains(listed(h.rpm), "-rwxr-xr-x root /opt/vigil/bin/vigil-agent\n"));
  CHECK(h.run({"-qp", "--requires", enrolled.string()}).out
        == h.run({"-qp", "--requires", h.rpm.string()}).out);

  // Installed with no install.conf: the package's enrollment configures it.
  CHECK_FALSE(fs::exists(h.root / "etc/vigil/install.conf"));
  auto installed = h.install(enrolled);
  CAPTURE(installed.err);
  REQUIRE(installed.exit_code == 0);
  CHECK_FALSE(contains(installed.err, "scriptlet failed"));
  CHECK(fs::exists(h.root / "usr/share/vigil-agent/enroll.conf"));
  CHECK(hive_value(h.root, "CustomerId") == h.ids.first);
  CHECK(hive_value(h.root, "WebServiceUri") == h.platform.web_service_uri());
  CHECK(test::read_file(h.root / "var/opt/vigil/state/ca-bundle.pem")
        == test::read_file(h.platform.ca_file()));
  CHECK(test::wait_until([&] { return !h.host_id().empty() && h.listed(h.host_id()); }, 10s));
  MESSAGE("enrolled rpm -i to listed in assets: " << ms_since(started) << " ms");
  REQUIRE(h.erase({std::string{purge_variable} + "=1"}).exit_code == 0);
  CHECK_FALSE(fs::exists(h.root / "usr/share/vigil-agent"));
  CHECK_FALSE(fs::exists(h.root / "etc/opt/vigil"));
}

TEST_CASE("rpm package: while self-protection is on, rpm -e needs a valid VIGIL_SPFKEY") {
  if (!inside_namespace("rpm package: while self-protection is on*"))
    return;
  rpm_host h;
  h.write_conf(h.conf(h.ids.first));
  REQUIRE(h.install(h.rpm).exit_code == 0);
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
    auto refused = h.erase(env);
    CAPTURE(refused.err);
    CHECK(refused.exit_code != 0);
    CHECK(contains(refused.err, "uninstall refused"));
    // Nothing removed: rpm keeps the package when %preun fails.
    CHECK(h.installed() == "vigil-agent-0.1.0-1.x86_64");
    CHECK(fs::exists(h.root / "opt/vigil/bin/vigil-agent"));
    CHECK(fs::exists(h.root / "var/opt/vigil/state"));
    CHECK(h.agent_pid() > 0);
  }
  auto removed = h.erase({std::string{spfkey_variable} + "=" + spfkey});
  CAPTURE(removed.err);
  CHECK(removed.exit_code == 0);
  CHECK(h.installed().empty());
  CHECK_FALSE(fs::exists(h.root / "opt/vigil"));
  CHECK_FALSE(contains(h.installer_log(), spfkey));
}

namespace {

/// One rpm scriptlet run by /bin/sh the way rpm runs it (`sh SCRIPT $1`),
/// with every absolute path it names moved under `root` and the program it
/// runs a stub that records its arguments in ROOT/called.
test::process_result run_scriptlet(const fs::path& root, const std::string& name, int instances,
                                   std::vector<std::string> env = {}) {
  std::string text;
  for (auto& [script, body] : maintainer_scripts(package_format::rpm))
    if (script == name)
      text = body;
  REQUIRE_FALSE(text.empty());
  std::string moved;
  for (size_t at = 0; at < text.size(); ++at) {
    moved += text[at];
    if (text[at] == '\'' && at + 1 < text.size() && text[at + 1] == '/')
      moved += root.string();
  }
  test::write_file(root / "scriptlet", moved);
  fs::remove(root / "called");
  return test::run({"/bin/sh", (root / "scriptlet").string(), std::to_string(instances)}, env);
}

} // namespace

TEST_CASE("rpm scriptlets: rpm's $1 chooses dpkg's step; an upgrade is PatchInstall and the old "
          "package's %preun and %postun do nothing; VIGIL_PURGE=1 is Force=True") {
  test::temp_dir dir;
  auto root = dir / "root";
  auto program = root / "opt/vigil/bin/vigil-uninstall";
  test::write_file(program, "#!/bin/sh\necho \"$@\" >>'" + (root / "called").string() + "'\n");
  fs::permissions(program, fs::perms::owner_all);
  test::write_file(root / "opt/vigil/VERSION", "0.1.0\n");
  fs::create_directories(root / "var/opt/vigil/state");
  auto called = [&] { return test::read_file(root / "called"); };
  const std::string head = "--root / --package-script ";

  // Fresh install: %pre nothing, %post configures from install.conf.
  CHECK(run_scriptlet(root, "pre", 1).exit_code == 0);
  CHECK(called().empty());
  CHECK(run_scriptlet(root, "post", 1).exit_code == 0);
  CHECK(called() == head + "postinst configure\n");
  // Upgrade: the new %pre stops the agent and notes the old version, the
  // new %post is PatchInstall from it; the old %preun, %postun: nothing.
  CHECK(run_scriptlet(root, "pre", 2).exit_code == 0);
  CHECK(called() == head + "prerm upgrade\n");
  CHECK(test::read_file(root / "var/opt/vigil/state/rpm-upgrade-from") == "0.1.0\n");
  CHECK(run_scriptlet(root, "post", 2).exit_code == 0);
  CHECK(called() == head + "postinst configure 0.1.0\n");
  CHECK_FALSE(fs::exists(root / "var/opt/vigil/state/rpm-upgrade-from"));
  CHECK(run_scriptlet(root, "post", 2).exit_code == 0); // no note: still an upgrade
  CHECK(called() == head + "postinst configure an earlier release\n");
  test::write_file(root / "etc/opt/vigil/registry.reg", "hive");
  test::write_file(root / "etc/opt/vigil/host.key", "key");
  for (auto script : {"preun", "postun"}) {
    CHECK(run_scriptlet(root, script, 1, {std::string{purge_variable} + "=1"}).exit_code == 0);
    CHECK(called().empty());
  }
  CHECK(fs::exists(root / "etc/opt/vigil/registry.reg"));
  // Erase: Uninstall=True; the identity stays unless VIGIL_PURGE=1.
  CHECK(run_scriptlet(root, "preun", 0).exit_code == 0);
  CHECK(called() == head + "prerm remove\n");
  CHECK(run_scriptlet(root, "postun", 0).exit_code == 0);
  CHECK(fs::exists(root / "etc/opt/vigil/registry.reg"));
  CHECK(run_scriptlet(root, "postun", 0, {std::string{purge_variable} + "=1"}).exit_code == 0);
  CHECK_FALSE(fs::exists(root / "etc/opt/vigil"));
  CHECK(contains(test::read_file(root / "var/opt/vigil/CloudAgentInstaller.log"),
                 "vigil-agent.postun"));
  // Without its program, an erase is refused (rpm keeps the package).
  fs::remove(program);
  auto missing = run_scriptlet(root, "preun", 0);
  CHECK(missing.exit_code != 0);
  CHECK(contains(missing.err, "is missing"));
  CHECK(run_scriptlet(root, "pre", 2).exit_code == 0); // an upgrade goes on
}

namespace {

/// Why RHEL 9 (and its rebuilds, AlmaLinux and Rocky 9) cannot satisfy one
/// requirement, as rpm's dependency generator writes it ("libc.so.6(GLIBC_2.34)(64bit)",
/// "rpmlib(PayloadIsXz) <= 5.2-1"); empty when it can. What RHEL 9 gives: glibc
/// 2.34 (its libraries and loader, each symbol version up to GLIBC_2.34; not
/// GLIBC_ABI_DT_RELR, glibc 2.36's), GCC 11's libgcc_s.so.1 (symbol versions
/// up to GCC_7.0.0; GCC 12 added GCC_12.0.0), libarchive 3.5 (soname 13),
/// /bin/sh, tzdata, and the payload features of its rpm 4.16. Nothing else:
/// the other libraries a Debian 12 build links (CAF, spdlog, fmt, date-tz,
/// Duktape, GCC 12's libstdc++) are not there under those names, or are older.
std::string unmet_on_rhel9(const std::string& requirement) {
  auto name = requirement.substr(0, requirement.find(' '));
  static const std::set<std::string> present{
    "/bin/sh", "tzdata", "rtld(GNU_HASH)", "libarchive.so.13()(64bit)", "libgcc_s.so.1()(64bit)",
    "rpmlib(CompressedFileNames)", "rpmlib(PayloadFilesHavePrefix)", "rpmlib(PayloadIsXz)",
    "rpmlib(FileDigests)"};
  if (present.contains(name))
    return "";
  static const std::regex glibc_library{
    R"(^(libc\.so\.6|libm\.so\.6|ld-linux-x86-64\.so\.2|libpthread\.so\.0|libdl\.so\.2|librt\.so\.1)\((.*)\)\(64bit\)$)"};
  static const std::regex libgcc_version{R"(^libgcc_s\.so\.1\(GCC_(\d+)\.[\d.]+\)\(64bit\)$)"};
  std::smatch library;
  if (std::regex_match(name, library, libgcc_version))
    return std::stoi(library[1].str()) <= 11 ? "" : "newer than RHEL 9's libgcc (GCC 11)";
  if (!std::regex_match(name, library, glibc_library))
    return "not in RHEL 9 under this name";
  auto version = library[2].str();
  if (version.empty())
    return "";
  if (version == "GLIBC_ABI_DT_RELR")
    return "packed relocations: glibc 2.36's loader (RHEL 9 has 2.34)";
  static const std::regex glibc_version{R"(^GLIBC_(\d+)\.(\d+)(\.\d+)?$)"};
  std::smatch numbers;
  if (!std::regex_match(version, numbers, glibc_version))
    return "a symbol version glibc 2.34 does not define";
  auto major = std::stoi(numbers[1].str()), minor = std::stoi(numbers[2].str());
  if (major > 2 || (major == 2 && minor > 34))
    return "newer than RHEL 9's glibc 2.34";
  return "";
}

} // namespace

TEST_CASE("rpm package: the build's .rpm and vigil-setup ask only for what RHEL 9 has: "
          "glibc 2.34's symbols, no packed relocations, libarchive.so.13") {
  if (!fs::exists("/usr/bin/rpm") || !fs::exists(built_rpm())) {
    MESSAGE("skipped: no rpm or no " << built_rpm());
    return;
  }
  if (!VIGIL_PORTABLE) {
    // A build for this host alone (a sanitized one links libasan): Debian's
    // shared libraries are what it asks for.
    MESSAGE("skipped: not a portable build (scripts/build.sh makes one: -DVIGIL_PORTABLE=ON)");
    return;
  }
  // rpm's own reading of the package's programs (the requirements it would
  // check on `rpm -i` without --nodeps), and of vigil-setup by the same
  // generator (/usr/lib/rpm/elfdeps): vigil-setup installs RHEL hosts too.
  auto rpm_requires = test::run({"/usr/bin/rpm", "-qp", "--requires", built_rpm().string()});
  REQUIRE(rpm_requires.exit_code == 0);
  auto setup_requires = test::run({"/usr/lib/rpm/elfdeps", "--requires",
                                   test::program("vigil-setup").string()});
  REQUIRE(setup_requires.exit_code == 0);
  for (auto& [what, listed] : {std::pair{std::string{"the .rpm"}, rpm_requires.out},
                               std::pair{std::string{"vigil-setup"}, setup_requires.out}}) {
    auto requirements = non_empty_lines(listed);
    CAPTURE(what);
    CHECK(std::find(requirements.begin(), requirements.end(), "libc.so.6()(64bit)")
          != requirements.end());
    for (auto& requirement : requirements) {
      auto unmet = unmet_on_rhel9(requirement);
      CHECK_MESSAGE(unmet.empty(), what << " requires " << requirement << ": " << unmet);
    }
  }
  // The same rule refuses what the Debian-only build asked for.
  CHECK_FALSE(unmet_on_rhel9("libcaf_core.so.0.17.6()(64bit)").empty());
  CHECK_FALSE(unmet_on_rhel9("libc.so.6(GLIBC_ABI_DT_RELR)(64bit)").empty());
  CHECK_FALSE(unmet_on_rhel9("libc.so.6(GLIBC_2.36)(64bit)").empty());
  CHECK_FALSE(unmet_on_rhel9("libstdc++.so.6(GLIBCXX_3.4.30)(64bit)").empty());
  CHECK_FALSE(unmet_on_rhel9("libgcc_s.so.1(GCC_12.0.0)(64bit)").empty());
  CHECK(unmet_on_rhel9("libgcc_s.so.1(GCC_3.0)(64bit)").empty());
  CHECK(unmet_on_rhel9("libc.so.6(GLIBC_2.2.5)(64bit)").empty());
  CHECK(unmet_on_rhel9("rpmlib(PayloadIsXz) <= 5.2-1").empty());
}
