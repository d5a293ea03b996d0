// The Windows installers under Wine (issue 21): vigil-setup.exe installs the
// agent silently into a private Wine prefix as the guide's installer does
// (program files, the registry, the service, Automatic (Delayed Start)), with
// Windows Installer's exit codes as a deployment tool reads them; PatchInstall
// upgrades in place keeping the identity; vigil-uninstall.exe removes it,
// keeping the identity unless Force=True. Against the real vigil-platform on
// 127.0.0.1, like tests/wine/wine_agent_test.cpp.

#include <doctest/doctest.h>

#include <chrono>
#include <functional>
#include <map>

#include "tests/support/agent.hpp"
#include "tests/support/platform.hpp"
#include "tests/support/process.hpp"
#include "tests/support/servers.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/wait.hpp"
#include "tests/wine/wine_prefix.hpp"
#include "vigil_version.hpp"

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using namespace vigil;

namespace {

const std::string& agent_key = test::agent_registry_key;

/// A Windows machine (a Wine prefix) with nothing of Vigil on it, a platform
/// with a customer, and the installers of the Windows build.
struct windows_machine {
  test::temp_dir dir;
  test::platform_process platform{dir / "platform"};
  fs::path build = test::windows_build_dir();
  test::wine_prefix wine{dir / "prefix", test::keepalive_program()};
  // Where the administrator puts the installers (C:\ of the machine).
  std::string setup = "C:\\vigil-setup.exe";
  std::string next_setup = "C:\\vigil-setup-next.exe";
  std::string uninstaller = "C:\\Program Files\\Vigil\\VigilAgent\\bin\\vigil-uninstall.exe";
  fs::path program_files = wine.drive_c() / "Program Files/Vigil/VigilAgent";
  fs::path program_data = wine.drive_c() / "ProgramData/Vigil/VigilAgent";
  std::pair<std::string, std::string> ids = platform.create_customer("Vulnerability");

  windows_machine() {
    fs::copy_file(build / "bin/vigil-setup.exe", wine.drive_c() / "vigil-setup.exe");
    fs::copy_file(build / "tests/helpers/vigil-setup-next.exe",
                  wine.drive_c() / "vigil-setup-next.exe");
    // And next to them the platform's CA and public key.
    fs::copy_file(platform.ca_file(), wine.drive_c() / "ca.pem");
    fs::copy_file(platform.trust_key_file(), wine.drive_c() / "signing-key.pub");
  }

  /// The guide's silent install line with this platform's settings, plus `extra`.
  std::vector<std::string> install_line(const std::string& program,
                                        std::vector<std::string> extra = {}) const {
    std::vector<std::string> line{program, "CustomerId=" + ids.first,
                                  "ActivationId=" + ids.second,
                                  "WebServiceUri=" + platform.web_service_uri(),
                                  "CaBundle=C:\\ca.pem", "TrustKey=C:\\signing-key.pub"};
    line.insert(line.end(), extra.begin(), extra.end());
    return line;
  }

  /// Runs `line` as a deployment tool's script does (a batch file run by
  /// `cmd /c`), and returns the exit code cmd.exe reports in %ERRORLEVEL%.
  int exit_code_seen_by_cmd(const std::vector<std::string>& line) {
    std::string command;
    for (auto& arg : line)
      command += (command.empty() ? "" : " ") + quoted(arg);
    test::write_file(wine.drive_c() / "deploy.cmd",
                     "@echo off\r\n" + command + "\r\necho exit=%ERRORLEVEL%\r\n");
    auto r = wine.run({"cmd", "/c", "C:\\deploy.cmd"});
    auto at = r.out.rfind("exit=");
    REQUIRE_MESSAGE(at != std::string::npos, r.out << r.err);
    MESSAGE(command << " -> " << r.out);
    return std::stoi(r.out.substr(at + 5));
  }

  static std::string quoted(const std::string& arg) {
    return arg.find(' ') == std::string::npos ? arg : "\"" + arg + "\"";
  }

  test::process_result run(const std::vector<std::string>& line) {
    auto r = wine.run(line);
    MESSAGE(line.front() << " -> " << r.exit_code << "\n" << r.out << r.err);
    return r;
  }

  bool service_running() {
    auto r = wine.run({"sc", "query", "VigilAgent"});
    return r.exit_code == 0 && r.out.find("RUNNING") != std::string::npos;
  }

  bool service_exists() { return wine.run({"sc", "query", "VigilAgent"}).exit_code == 0; }

  std::string host_id() { return wine.reg_query(agent_key, "HostID").value_or(""); }

  std::string installed_version() {
    auto text = test::read_file(program_files / "VERSION");
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r'))
      text.pop_back();
    return text;
  }

  std::string installer_log() {
    return test::read_file(program_data / "CloudAgentInstaller.log");
  }

  /// The installer's log and the agent's: what a failed check prints (a
  /// string, so a check's message can hold it).
  std::string logs() {
    std::string text = "CloudAgentInstaller.log:\n" + installer_log();
    if (std::error_code ec; fs::exists(program_data / "Log/Agent.log", ec))
      text += "\nAgent.log:\n" + test::read_file(program_data / "Log/Agent.log");
    return text;
  }
};

/// What sysprep does to a copied image here: a MachineGuid of its own,
/// written into the copy's saved registry before it first boots.
std::function<void(const fs::path&)> sysprep(std::string guid) {
  return [guid](const fs::path& disk) {
    auto registry = test::read_file(disk / "system.reg");
    const std::string name = "\"MachineGuid\"=\"";
    auto at = registry.find(name);
    REQUIRE(at != std::string::npos);
    at += name.size();
    registry.replace(at, registry.find('"', at) - at, guid);
    test::write_file(disk / "system.reg", registry);
  };
}

/// The files the MSI `msi` installs, by path, as Debian's msitools reads
/// them (into `scratch`): what is in its cabinet, whoever made it.
std::map<std::string, std::string> msi_contents(const fs::path& msi, const fs::path& scratch) {
  auto r = test::run({"/usr/bin/msiextract", "-C", scratch.string(), msi.string()});
  REQUIRE_MESSAGE(r.exit_code == 0, "msiextract " << msi << ": " << r.err);
  std::map<std::string, std::string> files;
  for (auto& entry : fs::recursive_directory_iterator(scratch))
    if (entry.is_regular_file())
      files[fs::relative(entry.path(), scratch).generic_string()] = test::read_file(entry.path());
  return files;
}

} // namespace

TEST_CASE("windows setup: bad command lines and PatchInstall with nothing installed fail with "
          "Windows Installer's codes and leave nothing") {
  windows_machine m;
  // A malformed GUID, an unknown argument: 1639 (ERROR_INVALID_COMMAND_LINE).
  auto bad_guid = m.install_line(m.setup);
  bad_guid[1] = "CustomerId={not-a-guid}";
  CHECK(m.exit_code_seen_by_cmd(bad_guid) == 1639);
  CHECK(m.exit_code_seen_by_cmd(m.install_line(m.setup, {"Colour=blue"})) == 1639);
  // PatchInstall with nothing installed: 1603 (ERROR_INSTALL_FAILURE).
  CHECK(m.exit_code_seen_by_cmd({m.setup, "PatchInstall=TRUE"}) == 1603);
  CHECK_FALSE(fs::exists(m.program_files));
  CHECK_FALSE(m.service_exists());
  CHECK_FALSE(m.wine.reg_query(agent_key, "CustomerId"));
  // While another installation runs (its mutex held): 1618.
  auto holder = m.wine.start({(m.build / "tests/helpers/host_windows_child.exe").string(), "mutex",
                              "Global\\VigilSetup", "60000"},
                             m.dir / "holder.out");
  REQUIRE(test::wait_until(
    [&] { return test::read_file(m.dir / "holder.out").find("owned") != std::string::npos; }, 30s));
  CHECK(m.exit_code_seen_by_cmd(m.install_line(m.setup)) == 1618);
  CHECK_FALSE(fs::exists(m.program_files));
  CHECK(m.installer_log().find("another installation is in progress") != std::string::npos);
  holder.reset();
  // While Windows Installer installs another product (it holds
  // Global\_MSIExecute): 1618 as well.
  auto msi_holder = m.wine.start({(m.build / "tests/helpers/host_windows_child.exe").string(),
                                  "mutex", "Global\\_MSIExecute", "60000"},
                                 m.dir / "msi-holder.out");
  REQUIRE(test::wait_until(
    [&] { return test::read_file(m.dir / "msi-holder.out").find("owned") != std::string::npos; },
    30s));
  CHECK(m.exit_code_seen_by_cmd(m.install_line(m.setup)) == 1618);
  CHECK(m.installer_log().find("Windows Installer is installing") != std::string::npos);
  CHECK_FALSE(fs::exists(m.program_files));
}

TEST_CASE("windows setup: a silent install runs the service and enrolls through a proxy whose "
          "password is sealed; PatchInstall keeps the HostID; a downgrade is 1638; uninstall "
          "keeps the identity, Force=True removes it") {
  windows_machine m;
  // Through the administrator's proxy, with a password, as the guide writes
  // Proxy=: a real tinyproxy with Basic authentication on 127.0.0.1.
  const std::string proxy_password = "Pr0xy-pass-7";
  test::tinyproxy proxy{m.dir / "proxy", "vigil", proxy_password};
  auto installed = m.run(
    m.install_line(m.setup, {"Proxy=/u " + proxy.url() + " /n vigil /p " + proxy_password}));
  REQUIRE_MESSAGE(installed.exit_code == 0, "vigil-setup.exe failed\n" << m.logs());
  CHECK(fs::exists(m.program_files / "bin/vigil-agent.exe"));
  CHECK(fs::exists(m.program_files / "bin/vigil-uninstall.exe"));
  CHECK(m.installed_version() == VIGIL_VERSION);
  CHECK(m.wine.reg_query(agent_key, "CustomerId") == m.ids.first);
  CHECK(test::wait_until([&] { return m.service_running(); }, 30s));
  REQUIRE_MESSAGE(test::wait_until([&] { return !m.host_id().empty(); }, 90s),
                  "no HostID\n" << m.logs());
  auto host = m.host_id();
  CHECK(test::wait_until([&] { return test::listed(m.platform, host); }, 30s));
  // The agent went through the proxy; the password is in the registry only
  // sealed (DPAPI, machine scope) and in no log.
  CHECK_MESSAGE(test::wait_until(
                  [&] {
                    return proxy.log().find("Established connection to host")
                           != std::string::npos;
                  },
                  30s),
                "tinyproxy relayed nothing:\n" << proxy.log());
  const std::string proxy_key = agent_key + "\\Proxy";
  CHECK(m.wine.reg_query(proxy_key, "ProxyUrls") == proxy.url());
  CHECK(m.wine.reg_query(proxy_key, "Username") == "vigil");
  auto sealed = m.wine.reg_query(proxy_key, "Password");
  REQUIRE(sealed);
  CHECK(sealed->size() > proxy_password.size());
  CHECK(sealed->find(proxy_password) == std::string::npos);
  CHECK(m.logs().find(proxy_password) == std::string::npos);

  // PatchInstall=TRUE with a newer build: the same identity, the new files.
  auto patched = m.run({m.next_setup, "PatchInstall=TRUE"});
  REQUIRE_MESSAGE(patched.exit_code == 0, "PatchInstall failed\n" << m.logs());
  CHECK(m.installed_version() == "99.0.0");
  CHECK(m.host_id() == host);
  CHECK(test::wait_until([&] { return m.service_running(); }, 30s));
  // The older build over it: 1638, nothing changed.
  CHECK(m.exit_code_seen_by_cmd(m.install_line(m.setup)) == 1638);
  CHECK(m.installed_version() == "99.0.0");

  // Uninstall=True, from the installed uninstaller as the guide runs it: the
  // service and the files go, the identity stays.
  auto removed = m.run({m.uninstaller, "Uninstall=True"});
  CHECK_MESSAGE(removed.exit_code == 0, "uninstall failed\n" << m.logs());
  CHECK(test::wait_until([&] { return !m.service_exists(); }, 30s));
  CHECK_FALSE(fs::exists(m.program_files / "bin/vigil-agent.exe"));
  CHECK(m.host_id() == host);
  // A reinstall is the same host.
  auto again = m.run(m.install_line(m.setup));
  REQUIRE_MESSAGE(again.exit_code == 0, "reinstall failed\n" << m.logs());
  CHECK(m.host_id() == host);
  // Force=True: the identity goes too.
  auto forced = m.run({m.uninstaller, "Uninstall=True", "Force=True"});
  CHECK_MESSAGE(forced.exit_code == 0, "Force=True failed\n" << m.logs());
  CHECK(test::wait_until([&] { return !m.service_exists(); }, 30s));
  CHECK_FALSE(m.wine.reg_query(agent_key, "HostID"));
  CHECK_FALSE(m.wine.reg_query(agent_key, "CustomerId"));
  CHECK(m.installer_log().find("Force=True") != std::string::npos);
}

TEST_CASE("windows setup: GoldenImage installs without an identity; each clone with its own "
          "MachineGuid provisions as a host of its own") {
  windows_machine m;
  auto installed = m.run(m.install_line(m.setup, {"GoldenImage=true"}));
  REQUIRE_MESSAGE(installed.exit_code == 0, "GoldenImage install failed\n" << m.logs());
  CHECK(m.service_exists());
  CHECK_FALSE(m.service_running());
  CHECK(m.host_id().empty());
  // The image is captured with the machine off and copied as the clone's
  // disk, where sysprep gives the clone a MachineGuid of its own before it
  // first boots (here: in the copy's saved registry). Both machines start
  // the agent as they boot (Automatic).
  m.wine.shut_down();
  const std::string clone_guid = "0b6f0c1e-9d55-4a41-9a4e-3c1f1f0d2a77";
  test::wine_prefix clone{m.dir / "clone",
                          test::keepalive_program(),
                          m.wine, sysprep(clone_guid)};
  m.wine.start_up();
  CHECK(clone.reg_query("HKLM\\SOFTWARE\\Microsoft\\Cryptography", "MachineGuid") == clone_guid);
  CHECK(m.wine.reg_query("HKLM\\SOFTWARE\\Microsoft\\Cryptography", "MachineGuid") != clone_guid);
  // Running: started at boot (Automatic), else by `sc start`.
  auto start = [](const test::wine_prefix& machine) {
    return test::wait_until(
      [&] {
        auto query = machine.run({"sc", "query", "VigilAgent"});
        return query.out.find("RUNNING") != std::string::npos
               || machine.run({"sc", "start", "VigilAgent"}).exit_code == 0;
      },
      30s);
  };
  REQUIRE_MESSAGE(start(m.wine), m.logs());
  REQUIRE(start(clone));
  auto host_of = [](const test::wine_prefix& machine) {
    return machine.reg_query(agent_key, "HostID").value_or("");
  };
  REQUIRE_MESSAGE(test::wait_until([&] { return !host_of(m.wine).empty(); }, 90s),
                  "the image's machine has no HostID\n" << m.logs());
  REQUIRE_MESSAGE(test::wait_until([&] { return !host_of(clone).empty(); }, 90s),
                  "the clone has no HostID");
  CHECK(host_of(m.wine) != host_of(clone));
  CHECK(test::wait_until(
    [&] { return test::listed(m.platform, host_of(m.wine)) && test::listed(m.platform, host_of(clone)); },
    30s));
  CHECK(test::assets(m.platform).size() == 2);
  // An image captured after its agent provisioned (the guide says not to):
  // the clone's HostID was made on another MachineGuid, so the clone
  // provisions anew instead of posing as the image's machine.
  auto image_host = host_of(m.wine);
  m.wine.shut_down();
  test::wine_prefix late_clone{m.dir / "late-clone",
                               test::keepalive_program(),
                               m.wine, sysprep("5d1c8a40-2f6e-4c3b-8e7a-9b0d4e6f1a23")};
  m.wine.start_up();
  REQUIRE(start(late_clone));
  CHECK_MESSAGE(test::wait_until(
                  [&] {
                    auto id = host_of(late_clone);
                    return !id.empty() && id != image_host && test::listed(m.platform, id);
                  },
                  90s),
                "the late clone kept HostID " << host_of(late_clone));
  CHECK(host_of(m.wine) == image_host);
  CHECK(test::assets(m.platform).size() == 3);
}

TEST_CASE("windows msi: vigil-setup.exe ExtractMSI=64 writes the MSI; msiexec /i of it with the "
          "guide's properties installs and provisions; /x removes it and keeps the identity; a bad "
          "property leaves nothing") {
  windows_machine m;
  // The guide's ExtractMSI: the MSI next to vigil-setup.exe, made from the
  // programs vigil-setup.exe carries (once); the same files as the build's
  // own MSI. There is no 32-bit agent.
  CHECK(m.exit_code_seen_by_cmd({m.setup, "ExtractMSI=32"}) == 1639);
  REQUIRE_MESSAGE(m.exit_code_seen_by_cmd({m.setup, "ExtractMSI=64"}) == 0, m.logs());
  const std::string msi_name = "vigil-agent_" + std::string{VIGIL_VERSION} + "_x64.msi";
  auto extracted = m.wine.drive_c() / msi_name;
  REQUIRE(fs::exists(extracted));
  MESSAGE("ExtractMSI=64 wrote " << fs::file_size(extracted) << " bytes; vigil-setup.exe is "
                                 << fs::file_size(m.build / "bin/vigil-setup.exe"));
  auto contents = msi_contents(extracted, m.dir / "extracted");
  CHECK(contents.size() == 6); // VERSION, the schema and four programs
  CHECK(contents == msi_contents(m.build / "bin/vigil-agent.msi", m.dir / "built"));
  auto msiexec = [&](std::vector<std::string> line) {
    line.insert(line.begin(), "msiexec");
    line.push_back("/qn");
    return m.exit_code_seen_by_cmd(line);
  };
  auto properties = m.install_line("/i");
  properties.insert(properties.begin() + 1, "C:\\" + msi_name);
  // A malformed CustomerId: the install action refuses it and Windows
  // Installer rolls its files back (1603 on Windows; Wine's msiexec says 1627).
  auto bad = properties;
  bad[2] = "CustomerId={not-a-guid}";
  CHECK(msiexec(bad) != 0);
  CHECK_FALSE(fs::exists(m.program_files / "bin/vigil-agent.exe"));
  CHECK_FALSE(m.service_exists());
  CHECK_FALSE(m.wine.reg_query(agent_key, "CustomerId"));
  // The Intune line: installed, started, provisioned; the MSI's log readable.
  auto logged = properties;
  logged.insert(logged.end(), {"/l*v", "C:\\msi-install.log"});
  REQUIRE_MESSAGE(msiexec(logged) == 0,
                  "msiexec /i failed\n" << test::read_file(m.wine.drive_c() / "msi-install.log")
                                        << m.logs());
  CHECK(fs::exists(m.program_files / "bin/vigil-agent.exe"));
  CHECK(m.installed_version() == VIGIL_VERSION);
  CHECK(test::wait_until([&] { return m.service_running(); }, 30s));
  REQUIRE_MESSAGE(test::wait_until([&] { return !m.host_id().empty(); }, 90s),
                  "no HostID\n" << m.logs());
  auto host = m.host_id();
  CHECK(test::wait_until([&] { return test::listed(m.platform, host); }, 30s));
  CHECK(fs::file_size(m.wine.drive_c() / "msi-install.log") > 0);
  // The guide's `Patchinstall=true` with the next release's MSI (a major
  // upgrade: the old product goes, its agent only stopped): same identity.
  fs::copy_file(m.build / "tests/helpers/vigil-agent-next.msi",
                m.wine.drive_c() / "vigil-agent-next.msi");
  REQUIRE_MESSAGE(msiexec({"/i", "C:\\vigil-agent-next.msi", "Patchinstall=true"}) == 0,
                  "the upgrade failed\n" << m.logs());
  CHECK(m.installed_version() == "99.0.0");
  CHECK(test::wait_until([&] { return m.service_running(); }, 30s));
  CHECK(m.host_id() == host);
  // msiexec /x: service and files gone, identity kept.
  CHECK(msiexec({"/x", "C:\\vigil-agent-next.msi"}) == 0);
  CHECK(test::wait_until([&] { return !m.service_exists(); }, 30s));
  CHECK_FALSE(fs::exists(m.program_files / "bin/vigil-agent.exe"));
  CHECK(m.host_id() == host);
  CHECK(m.installer_log().find("vigil-agent.msi") != std::string::npos);
}
