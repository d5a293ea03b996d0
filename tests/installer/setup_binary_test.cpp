// vigil-setup and vigil-uninstall, the real binaries, in temporary roots
// against a real vigil-platform (issue 4's "Must show").

#include <doctest/doctest.h>
#include <csignal>
#include <fcntl.h>
#include <map>
#include <set>
#include <sys/file.h>
#include <unistd.h>

#include "host/agent_status.hpp"
#include "host/hive_file.hpp"
#include "host/proxy_config.hpp"
#include "host/secret_box.hpp"
#include "host/systemd_service.hpp"
#include "host/upgrade_marker.hpp"
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

/// What a Linux process status keeps of a Windows Installer code.
int status_of(int installer_code) {
  return installer_code & 0xFF;
}

/// A host root and the platform it reports to.
struct host_fixture : test::installed_host<host_fixture> {
  test::temp_dir dir;
  test::platform_process platform{dir / "platform"};
  std::pair<std::string, std::string> ids = platform.create_customer("Vulnerability");
  fs::path root = dir / "host";

  host_fixture() {
    test::write_file(root / "etc/machine-id", test::random_machine_id());
  }

  ~host_fixture() {
    stop_agent();
  }

  std::vector<std::string> install_args() const {
    return {"CustomerId=" + ids.first, "ActivationId=" + ids.second,
            "WebServiceUri=" + platform.web_service_uri(),
            "CaBundle=" + platform.ca_file().string(),
            "TrustKey=" + platform.trust_key_file().string()};
  }

  test::process_result setup(std::vector<std::string> args,
                             const fs::path& program = test::program("vigil-setup"),
                             std::vector<std::string> env = {}) const {
    args.insert(args.begin(), {program.string(), "--root", root.string()});
    return test::run(args, env);
  }

  test::process_result uninstall(std::vector<std::string> args) const {
    args.insert(args.begin(), {test::program("vigil-uninstall").string(), "--root", root.string()});
    return test::run(args);
  }

};

/// Every file and directory under `root` with its content and mode, but the
/// installer's log and the directories holding it (it records the failed run,
/// as it should) and, when `agent_ran`, what a briefly started agent writes
/// (its logs and state).
std::map<std::string, std::string> snapshot(const fs::path& root, bool agent_ran = false) {
  std::map<std::string, std::string> files;
  if (!fs::exists(root))
    return files;
  for (auto& entry : fs::recursive_directory_iterator(root)) {
    auto rel = fs::relative(entry.path(), root).string();
    if (rel == "var" || rel == "var/opt" || rel == "var/opt/vigil"
        || entry.path().filename() == "CloudAgentInstaller.log")
      continue;
    if (agent_ran && (rel.starts_with("var/opt/vigil/Log") || rel.starts_with("var/opt/vigil/state")))
      continue;
    auto mode = std::to_string(static_cast<unsigned>(entry.status().permissions()));
    files[rel] = entry.is_directory() ? "dir " + mode : mode + " " + test::read_file(entry.path());
  }
  return files;
}

using test::setup_of_version;

} // namespace

TEST_CASE("vigil-setup: a fresh install runs the agent, which provisions within 10 s") {
  host_fixture f;
  auto r = f.setup(f.install_args());
  CAPTURE(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(f.version() == "0.1.0\n");
  // The unit installed is the one the code makes (one source, issue 16 item 10).
  CHECK(test::read_file(f.root / "etc/systemd/system/vigil-agent.service")
        == systemd_unit_text(paths{f.root}));
  // The program files are the programs and VERSION: nothing only the native
  // package needs (package/, a .deb).
  std::set<std::string> top;
  for (auto& entry : fs::directory_iterator(f.root / "opt/vigil"))
    top.insert(entry.path().filename().string());
  CHECK(top == std::set<std::string>{"VERSION", "bin"});
  CHECK(fs::exists(f.root / "var/opt/vigil/state/ca-bundle.pem"));
  // The platform's root key is pinned in the hive, as its signing-key.pub says.
  auto pinned = hive_file{f.root / "etc/opt/vigil/registry.reg"}.load();
  REQUIRE(pinned);
  auto* root_key = pinned->get(std::string{agent_key} + "\\Trust", "RootKey");
  REQUIRE(root_key != nullptr);
  CHECK(*root_key->as_string() + "\n" == test::read_file(f.platform.trust_key_file()));
  CHECK(f.agent_pid() > 0);
  CHECK(test::wait_until([&] { return !f.host_id().empty() && f.listed(f.host_id()); }, 10s));
  // The same command again: exit 0, nothing duplicated, same identity.
  auto host = f.host_id();
  CHECK(f.setup(f.install_args()).exit_code == 0);
  CHECK(f.host_id() == host);
  CHECK(test::read_file(f.root / "var/opt/vigil/CloudAgentInstaller.log").find("committed")
        != std::string::npos);
}

TEST_CASE("vigil-setup: GoldenImage installs without starting or creating a HostID") {
  host_fixture f;
  auto args = f.install_args();
  args.push_back("GoldenImage=true");
  REQUIRE(f.setup(args).exit_code == 0);
  CHECK(fs::exists(f.root / "opt/vigil/bin/vigil-agent"));
  CHECK(f.agent_pid() == 0);
  CHECK(f.host_id().empty());
  // The first start (boot, or by hand) creates the HostID and provisions.
  auto started = test::run({(f.root / "opt/vigil/bin/vigil-agent").string(), "--root",
                            f.root.string()});
  REQUIRE(started.exit_code == 0);
  CHECK(test::wait_until([&] { return !f.host_id().empty() && f.listed(f.host_id()); }, 10s));
}

TEST_CASE("vigil-setup: PatchInstall upgrades in place and keeps identity and state") {
  host_fixture f;
  auto newer = setup_of_version(f.dir.path(), "0.2.0");
  auto older = setup_of_version(f.dir.path(), "0.0.9");
  CHECK(f.setup({"PatchInstall=TRUE"}).exit_code == status_of(installer_exit::fatal)); // nothing installed
  REQUIRE(f.setup(f.install_args()).exit_code == 0);
  REQUIRE(test::wait_until([&] { return f.listed(f.host_id()); }, 10s));
  auto host = f.host_id();
  // The platform logs a request after answering it: the host can be listed
  // before the line of its provision is written.
  REQUIRE(test::wait_until(
    [&] { return f.platform.request_log().find("v1/provision") != std::string::npos; }, 10s));
  auto log_before = f.platform.request_log().size();
  auto r = f.setup({"patchinstall=true"}, newer);
  CAPTURE(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(f.version() == "0.2.0\n");
  CHECK(f.host_id() == host);
  CHECK(test::wait_until([&] { return f.agent_pid() > 0; }, 10s));
  auto hive = hive_file{f.root / "etc/opt/vigil/registry.reg"}.load();
  CHECK(hive->get(std::string{agent_key}, "CustomerId")->as_string() == f.ids.first);
  // The agent kept its token: the upgraded agent does not provision again.
  CHECK(test::wait_until([&] {
    return test::read_file(f.root / "var/opt/vigil/Log/Provision.log").find("is provisioned")
           != std::string::npos;
  }, 10s));
  CHECK(f.platform.request_log().substr(log_before).find("v1/provision") == std::string::npos);
  CHECK(f.setup({"PatchInstall=TRUE", "CustomerId=" + f.ids.first}, newer).exit_code
        == status_of(installer_exit::invalid_command_line));
  CHECK(f.setup({"PatchInstall=TRUE"}, older).exit_code
        == status_of(installer_exit::already_installed));
  CHECK(f.version() == "0.2.0\n");
}

TEST_CASE("vigil-uninstall: keeps the identity unless Force=True") {
  host_fixture f;
  REQUIRE(f.setup(f.install_args()).exit_code == 0);
  REQUIRE(test::wait_until([&] { return f.listed(f.host_id()); }, 10s));
  auto host = f.host_id();
  auto pid = f.agent_pid();
  auto r = f.uninstall({"Uninstall=True"});
  CAPTURE(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_FALSE(fs::exists(f.root / "opt/vigil"));
  CHECK_FALSE(fs::exists(f.root / "var/opt/vigil/state"));
  CHECK(fs::exists(f.root / "var/opt/vigil/CloudAgentInstaller.log"));
  CHECK(test::wait_until([&] {
    // Gone, or a zombie that this container's init has not reaped yet.
    return ::kill(pid, 0) != 0
           || test::read_file("/proc/" + std::to_string(pid) + "/stat").find(") Z") != std::string::npos;
  }, 5s));
  CHECK(f.host_id() == host);
  REQUIRE(f.setup(f.install_args()).exit_code == 0);
  CHECK(test::wait_until([&] { return f.agent_pid() > 0; }, 10s));
  CHECK(f.host_id() == host);
  REQUIRE(f.uninstall({"Uninstall=True", "Force=True"}).exit_code == 0);
  CHECK_FALSE(fs::exists(f.root / "etc/opt/vigil/registry.reg"));
  REQUIRE(f.setup(f.install_args()).exit_code == 0);
  CHECK(test::wait_until([&] { return !f.host_id().empty(); }, 10s));
  CHECK(f.host_id() != host);
  // Nothing installed: exit 0.
  REQUIRE(f.uninstall({"Uninstall=True", "Force=True"}).exit_code == 0);
  CHECK(f.uninstall({"Uninstall=True"}).exit_code == 0);
}

TEST_CASE("vigil-setup: bad arguments exit 1639 with one line and change nothing") {
  host_fixture f;
  auto before = snapshot(f.root);
  std::vector<std::vector<std::string>> bad{
    {"CustomerId={1234}", "ActivationId=" + f.ids.second, "WebServiceUri=https://h/"},
    {"CustomerId=" + f.ids.first, "ActivationId=" + f.ids.second, "WebServiceUri=https://h/",
     "Colour=blue"},
    {"CustomerId=" + f.ids.first, "ActivationId=" + f.ids.second},
    // A TrustKey file that holds no key (here: the TLS CA instead).
    {"CustomerId=" + f.ids.first, "ActivationId=" + f.ids.second, "WebServiceUri=https://h/",
     "TrustKey=" + f.platform.ca_file().string()},
    {"CustomerId=" + f.ids.first, "ActivationId=" + f.ids.second, "WebServiceUri=https://h/",
     "TrustKey=" + (f.root / "missing.pub").string()},
  };
  for (auto& args : bad) {
    auto r = f.setup(args);
    CHECK(r.exit_code == status_of(installer_exit::invalid_command_line));
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  }
  auto u = f.uninstall({"Uninstall=True", "CustomerId=" + f.ids.first});
  CHECK(u.exit_code == status_of(installer_exit::invalid_command_line));
  CHECK(snapshot(f.root) == before);
}

TEST_CASE("vigil-setup: Proxy=\"... /p -\" reads the password from standard input") {
  host_fixture f;
  const std::string password = "Setup-Stdin 7";
  auto args = f.install_args();
  args.insert(args.begin(), {test::program("vigil-setup").string(), "--root", f.root.string()});
  args.push_back("Proxy=/u http://127.0.0.1:3128 /n bob /p -");
  args.push_back("GoldenImage=true");
  SUBCASE("stored sealed, in no log") {
    auto r = test::run(args, {}, password + "\n");
    CAPTURE(r.err);
    REQUIRE(r.exit_code == 0);
    auto config = load_proxy_config(hive_file{f.root / "etc/opt/vigil/registry.reg"});
    REQUIRE(config);
    CHECK(config->username == "bob");
    REQUIRE(config->sealed_password);
    auto box = secret_box::open(paths{f.root});
    REQUIRE(box);
    CHECK(*box->open_sealed(*config->sealed_password, proxy_password_purpose) == password);
    auto log = test::read_file(f.root / "var/opt/vigil/CloudAgentInstaller.log");
    CHECK(log.find("/p ***") != std::string::npos);
    for (auto& text : {log, r.out, r.err, test::read_file(f.root / "etc/opt/vigil/registry.reg")})
      CHECK(text.find("Setup-Stdin") == std::string::npos);
  }
  SUBCASE("nothing on standard input: 1639, nothing installed") {
    auto before = snapshot(f.root);
    auto r = test::run(args, {}, std::string{});
    CHECK(r.exit_code == status_of(installer_exit::invalid_command_line));
    CHECK(r.err.find("no password on standard input") != std::string::npos);
    CHECK(snapshot(f.root) == before);
  }
}

TEST_CASE("vigil-setup: another installation in progress gets 1618") {
  host_fixture f;
  int fd = ::open(f.root.c_str(), O_RDONLY | O_DIRECTORY);
  REQUIRE(::flock(fd, LOCK_EX) == 0); // what a running vigil-setup holds
  auto r = f.setup(f.install_args());
  CHECK(r.exit_code == status_of(installer_exit::busy));
  CHECK(r.err.find("in progress") != std::string::npos);
  CHECK(f.uninstall({"Uninstall=True"}).exit_code == status_of(installer_exit::busy));
  ::close(fd);
  CHECK(f.setup(f.install_args()).exit_code == 0);
}

TEST_CASE("vigil-setup: a failure at any step rolls back to a byte-identical root") {
  const std::vector<std::string> steps{"stop-service",      "stage-files",      "swap-files",
                                       "write-hive",        "install-ca-bundle", "register-service",
                                       "start-service"};
  SUBCASE("fresh install") {
    for (auto& step : steps) {
      CAPTURE(step);
      host_fixture f;
      auto before = snapshot(f.root);
      auto args = f.install_args();
      args.push_back("Proxy=/u http://127.0.0.1:3128 /n bob /p pw123");
      auto r = f.setup(args, test::program("vigil-setup"), {"VIGIL_SETUP_FAIL_AT=" + step});
      CHECK(r.exit_code == status_of(installer_exit::fatal));
      CHECK(f.agent_pid() == 0);
      CHECK(snapshot(f.root) == before);
    }
  }
  SUBCASE("upgrade") {
    host_fixture f;
    auto newer = setup_of_version(f.dir.path(), "0.2.0");
    REQUIRE(f.setup(f.install_args()).exit_code == 0);
    REQUIRE(test::wait_until([&] { return f.listed(f.host_id()); }, 10s));
    for (auto& step : steps) {
      CAPTURE(step);
      f.stop_agent(); // compare at rest: a running agent keeps writing its logs
      auto before = snapshot(f.root, step == "start-service");
      auto r = f.setup({"PatchInstall=TRUE"}, newer, {"VIGIL_SETUP_FAIL_AT=" + step});
      CHECK(r.exit_code == status_of(installer_exit::fatal));
      CHECK(f.version() == "0.1.0\n");
      // Only start-service lets the new agent run (and write its logs).
      bool ran = step == "start-service";
      CHECK(snapshot(f.root, ran) == before);
    }
  }
}

TEST_CASE("vigil-setup: Extract writes the native package and installs nothing") {
  test::temp_dir dir;
  auto root = dir / "root";
  fs::create_directories(root);
  auto out = dir / "out";
  fs::create_directories(out);
  auto r = test::run({test::program("vigil-setup").string(), "--root", root.string(),
                      "Extract=deb", "Dir=" + out.string()});
  CAPTURE(r.err);
  REQUIRE(r.exit_code == 0);
  auto deb = out / "vigil-agent_0.1.0_amd64.deb";
  REQUIRE(fs::exists(deb));
  auto info = test::run({"/usr/bin/dpkg-deb", "--field", deb.string(), "Package", "Version",
                         "Depends", "Architecture"});
  CHECK(info.out.find("Package: vigil-agent") != std::string::npos);
  CHECK(info.out.find("Version: 0.1.0") != std::string::npos);
  CHECK(info.out.find("Architecture: amd64") != std::string::npos);
  CHECK(info.out.find("libc6") != std::string::npos); // CPack's dpkg-shlibdeps result
  auto contents = test::run({"/usr/bin/dpkg-deb", "--contents", deb.string()});
  CHECK(contents.out.find("./opt/vigil/bin/vigil-agent") != std::string::npos);
  CHECK(contents.out.find("./lib/systemd/system/vigil-agent.service") != std::string::npos);
  CHECK(contents.out.find("root/root") != std::string::npos);
  CHECK(contents.out.find("package/") == std::string::npos);
  // The package's files are the payload's, byte for byte, with their modes;
  // dpkg verifies its md5sums against them.
  auto unpacked = dir / "unpacked";
  REQUIRE(test::run({"/usr/bin/dpkg-deb", "-x", deb.string(), unpacked.string()}).exit_code == 0);
  auto payload = dir / "payload";
  fs::create_directories(payload);
  REQUIRE(test::run({"/usr/bin/tar", "-xf", std::string{VIGIL_TEST_BUILD_DIR} + "/payload.tar.xz",
                     "-C", payload.string()})
            .exit_code == 0);
  size_t programs = 0;
  for (auto& entry : fs::directory_iterator(payload / "bin")) {
    auto packaged = unpacked / "opt/vigil/bin" / entry.path().filename();
    CAPTURE(packaged);
    REQUIRE(fs::exists(packaged));
    CHECK(test::read_file(packaged) == test::read_file(entry.path()));
    CHECK(fs::status(packaged).permissions() == fs::status(entry.path()).permissions());
    ++programs;
  }
  CHECK(programs >= 6);
  CHECK(test::read_file(unpacked / "opt/vigil/VERSION") == "0.1.0\n");
  CHECK(test::read_file(unpacked / "lib/systemd/system/vigil-agent.service")
        == systemd_unit_text(paths{"/"}));
  auto control = dir / "control";
  REQUIRE(test::run({"/usr/bin/dpkg-deb", "-e", deb.string(), control.string()}).exit_code == 0);
  CHECK(test::read_file(control / "md5sums").find("  opt/vigil/bin/vigil-agent\n")
        != std::string::npos);
  auto tar = test::run({test::program("vigil-setup").string(), "--root", root.string(),
                        "extract=TAR", "Dir=" + out.string()});
  REQUIRE(tar.exit_code == 0);
  CHECK(fs::exists(out / "vigil-agent_0.1.0_amd64.tar"));
  CHECK_FALSE(fs::exists(root / "opt/vigil"));
}

TEST_CASE("vigil-setup: the package carries each program once, under 14 MB; the .deb of a "
          "repacked payload names the payload's version") {
  // The payload holds the loose programs, no second copy inside a .deb.
  auto listing = test::run({"/usr/bin/tar", "-tJf",
                            std::string{VIGIL_TEST_BUILD_DIR} + "/payload.tar.xz"});
  REQUIRE(listing.exit_code == 0);
  CAPTURE(listing.out);
  CHECK(listing.out.find(".deb") == std::string::npos);
  CHECK(listing.out.find("./bin/vigil-agent\n") != std::string::npos);
  CHECK(listing.out.find("./package/control\n") != std::string::npos);
  auto size = fs::file_size(test::program("vigil-setup"));
  MESSAGE("vigil-setup: " << size << " bytes");
  // 13.2 MB: each portable program (cmake/portable.cmake) carries GCC 12's C++
  // runtime and the CAF it uses, about 0.4 to 1.5 MB each before xz; 9.1 MB
  // when they linked Debian 12's shared libraries and ran on nothing else.
  if (VIGIL_SANITIZE)
    MESSAGE("size not bounded: a sanitized build's programs carry the instrumentation");
  else
    CHECK(size < 14'000'000);
  // A payload of another VERSION (as tests and release engineers repack
  // them; here a small one) extracts a package of that version, made of its
  // own files.
  test::temp_dir dir;
  auto stage = dir / "stage";
  fs::create_directories(stage / "bin");
  REQUIRE(test::run({"/usr/bin/tar", "-xJf", std::string{VIGIL_TEST_BUILD_DIR} + "/payload.tar.xz",
                     "-C", stage.string(), "./package"})
            .exit_code == 0);
  test::write_file(stage / "VERSION", "0.2.0\n");
  test::write_file(stage / "bin/vigil-agent", "#!/bin/sh\necho 0.2.0\n");
  fs::permissions(stage / "bin/vigil-agent", fs::perms::owner_all | fs::perms::group_read
                                               | fs::perms::group_exec | fs::perms::others_read
                                               | fs::perms::others_exec);
  auto archive = dir / "payload.tar";
  REQUIRE(test::run({"/usr/bin/tar", "-C", stage.string(), "-cf", archive.string(), "."})
            .exit_code == 0);
  auto newer = dir / "vigil-setup-0.2.0";
  REQUIRE(test::run({test::program("vigil-pack").string(),
                     std::string{VIGIL_TEST_BUILD_DIR} + "/vigil-setup-stub.stripped",
                     archive.string(), newer.string()})
            .exit_code == 0);
  auto out = dir / "out";
  fs::create_directories(out);
  auto r = test::run({newer.string(), "--root", (dir / "root").string(), "Extract=deb",
                      "Dir=" + out.string()});
  CAPTURE(r.err);
  REQUIRE(r.exit_code == 0);
  auto deb = out / "vigil-agent_0.2.0_amd64.deb";
  REQUIRE(fs::exists(deb));
  CHECK(test::run({"/usr/bin/dpkg-deb", "--field", deb.string(), "Version"}).out == "0.2.0\n");
  auto unpacked = dir / "unpacked";
  REQUIRE(test::run({"/usr/bin/dpkg-deb", "-x", deb.string(), unpacked.string()}).exit_code == 0);
  CHECK(test::read_file(unpacked / "opt/vigil/VERSION") == "0.2.0\n");
  CHECK(test::read_file(unpacked / "opt/vigil/bin/vigil-agent") == "#!/bin/sh\necho 0.2.0\n");
  CHECK(fs::status(unpacked / "opt/vigil/bin/vigil-agent").permissions()
        == fs::status(stage / "bin/vigil-agent").permissions());
  // A payload without the native package's control file cannot make one.
  fs::remove_all(stage / "package");
  REQUIRE(test::run({"/usr/bin/tar", "-C", stage.string(), "-cf", archive.string(), "."})
            .exit_code == 0);
  REQUIRE(test::run({test::program("vigil-pack").string(),
                     std::string{VIGIL_TEST_BUILD_DIR} + "/vigil-setup-stub.stripped",
                     archive.string(), newer.string()})
            .exit_code == 0);
  fs::create_directories(out / "bare");
  auto bare = test::run({newer.string(), "--root", (dir / "root").string(), "Extract=deb",
                         "Dir=" + (out / "bare").string()});
  CHECK(bare.exit_code == status_of(installer_exit::fatal));
  CHECK(fs::is_empty(out / "bare"));
}

TEST_CASE("vigil-setup SelfPatch: a new version that starts and checks in is kept; the previous "
          "files go") {
  host_fixture f;
  REQUIRE(f.setup(f.install_args()).exit_code == 0);
  REQUIRE(test::wait_until([&] { return f.listed(f.host_id()); }, 10s));
  auto host = f.host_id();
  auto newer = setup_of_version(f.dir.path(), "0.2.0");
  auto r = f.setup({"PatchInstall=TRUE", "SelfPatch=TRUE"}, newer);
  CAPTURE(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(f.version() == "0.2.0\n");
  CHECK(f.host_id() == host);
  auto marker = load_upgrade_marker(paths{f.root});
  REQUIRE(marker);
  CHECK(marker->state == "succeeded");
  CHECK(marker->from == "0.1.0");
  CHECK(marker->target == "0.2.0");
  CHECK_FALSE(fs::exists(f.root / "opt/vigil.previous"));
  // The new version reported itself and checked in after it started.
  auto status = load_agent_status(paths{f.root});
  REQUIRE(status);
  CHECK(status->version == "0.2.0");
  CHECK(status->last_checkin >= marker->started_at);
}

TEST_CASE("vigil-setup SelfPatch: a version that exits at start, or never checks in, is rolled "
          "back within the deadline, identity kept") {
  host_fixture f;
  REQUIRE(f.setup(f.install_args()).exit_code == 0);
  REQUIRE(test::wait_until([&] { return f.listed(f.host_id()); }, 10s));
  auto host = f.host_id();
  REQUIRE(test::reg_add(f.root, "SelfPatch", "WatchSeconds", "REG_DWORD", "10") == 0);
  struct broken {
    std::string version, script, reason;
  };
  // 0.3.0 exits at start: the installer's own start step fails and undoes the
  // install. 0.4.0 starts as a daemon would (pidfile and all) and then never
  // reports a version or checks in: the watcher's deadline rolls it back.
  auto daemon_that_never_checks_in =
    "#!/bin/bash\n(exec -a vigil-agent sleep 3600) &\n"
    "echo $! > \"$2/var/opt/vigil/state/vigil-agent.pid\"\n";
  for (auto& b : {broken{"0.3.0", "#!/bin/sh\nexit 1\n", "install_failed"},
                  broken{"0.4.0", daemon_that_never_checks_in, "not_started"}}) {
    CAPTURE(b.version);
    auto bad = setup_of_version(f.dir.path(), b.version, b.script);
    auto started = std::chrono::steady_clock::now();
    auto r = f.setup({"PatchInstall=TRUE", "SelfPatch=TRUE"}, bad);
    CHECK(r.exit_code == status_of(installer_exit::fatal));
    CHECK(std::chrono::steady_clock::now() - started < 30s);
    CHECK(f.version() == "0.1.0\n"); // the previous version's files, byte for byte
    CHECK(test::read_file(f.root / "opt/vigil/bin/vigil-agent").starts_with("\x7f" "ELF"));
    auto marker = load_upgrade_marker(paths{f.root});
    REQUIRE(marker);
    CHECK(marker->state == "rolled_back");
    CHECK(marker->target == b.version);
    CAPTURE(marker->reason);
    CHECK(marker->reason.starts_with(b.reason));
    // The previous version runs again, with the same identity, and checks in.
    auto rolled_back_at = marker->at;
    CHECK(test::wait_until([&] {
      auto s = load_agent_status(paths{f.root});
      return s && s->version == "0.1.0" && s->last_checkin >= rolled_back_at;
    }, 20s));
    CHECK(f.host_id() == host);
  }
}

TEST_CASE("vigil-uninstall: while self-protection is on, only a valid, unused SPFKEY for this "
          "host removes the agent") {
  host_fixture f;
  REQUIRE(f.setup(f.install_args()).exit_code == 0);
  REQUIRE(test::wait_until([&] { return f.listed(f.host_id()); }, 10s));
  REQUIRE(test::reg_add(f.root, "SelfProtection", "Enabled", "REG_DWORD", "1") == 0);
  auto spfkey = [&](const std::string& host, const std::string& valid) {
    auto r = test::run({test::program("vigil-platform").string(), "spfkey", "--data-dir",
                        f.platform.data_dir().string(), "--host", host, "--valid", valid});
    REQUIRE(r.exit_code == 0);
    auto at = r.out.find("SPFKEY=");
    REQUIRE(at != std::string::npos);
    auto key = r.out.substr(at + 7);
    return key.substr(0, key.find('\n'));
  };
  // Another host's key: a second host of the same customer.
  test::temp_dir other_dir;
  auto other_root = other_dir / "other";
  test::install_agent(other_root, f.platform, f.ids);
  REQUIRE(test::wait_until([&] { return f.listed(test::host_id_of(other_root)); }, 10s));
  auto others = spfkey(test::host_id_of(other_root), "24h");
  test::run({(other_root / "opt/vigil/bin/vigil-uninstall").string(), "--root",
             other_root.string(), "Uninstall=True"});
  auto valid = spfkey(f.host_id(), "24h");
  auto tampered = valid;
  tampered[tampered.size() / 2] = tampered[tampered.size() / 2] == 'A' ? 'B' : 'A';
  auto expiring = spfkey(f.host_id(), "1s");
  // Valid through its expiry second: it is refused two seconds later.
  auto issued = std::chrono::system_clock::now();
  REQUIRE(test::wait_until(
    [&] { return std::chrono::system_clock::now() - issued > std::chrono::seconds{2}; }, 5s));
  auto log = [&] { return test::read_file(f.root / "var/opt/vigil/CloudAgentInstaller.log"); };
  struct refusal {
    std::vector<std::string> args;
    std::string cause;
  };
  for (auto& r : {refusal{{"Uninstall=True"}, "self-protection is on"},
                  refusal{{"Uninstall=True", "SPFKEY=" + others}, "wrong_host"},
                  refusal{{"Uninstall=True", "SPFKEY=" + tampered}, "signature_invalid"},
                  refusal{{"Uninstall=True", "SPFKEY=" + expiring}, "metadata_expired"}}) {
    CAPTURE(r.cause);
    auto u = f.uninstall(r.args);
    CHECK(u.exit_code == status_of(installer_exit::fatal));
    CHECK(log().find(r.cause) != std::string::npos);
    CHECK(fs::exists(f.root / "opt/vigil/bin/vigil-agent"));
    CHECK(f.agent_pid() > 0);
  }
  // No key ever reaches the installer's log.
  CHECK(log().find(valid) == std::string::npos);
  CHECK(log().find(others) == std::string::npos);
  CHECK(f.uninstall({"Uninstall=True", "SPFKEY=" + valid}).exit_code == 0);
  CHECK_FALSE(fs::exists(f.root / "opt/vigil/bin/vigil-agent"));
  // Reinstalled, the same key does not work twice.
  REQUIRE(f.setup(f.install_args()).exit_code == 0);
  CHECK(f.uninstall({"Uninstall=True", "SPFKEY=" + valid}).exit_code
        == status_of(installer_exit::fatal));
  CHECK(log().find("replayed_metadata") != std::string::npos);
  CHECK(fs::exists(f.root / "opt/vigil/bin/vigil-agent"));
  // A fresh key removes it, and nothing of it is left running (the protected
  // agent ignores the SIGTERM of the test's teardown).
  CHECK(f.uninstall({"Uninstall=True", "SPFKEY=" + spfkey(f.host_id(), "24h")}).exit_code == 0);
  CHECK(test::wait_until([&] { return test::processes_of("", f.root).empty(); }, 10s));
}
