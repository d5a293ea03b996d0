// Issue 15, defect 5: after a full run of the installed agent — vigil-setup
// with a proxy password, provisioning against the real platform, scans, an
// upload, vigil-proxy with a password, vigil-healthcheck — every path that
// setup and the agent created has the owner and mode of the table below.
// Secrets and identity are the administrator's alone (0600 files, 0700
// directories); program files are root's, readable by all (0755/0644).
// A path the table does not name fails the test: whoever adds a file decides
// its mode here.

#include <doctest/doctest.h>
#include <csignal>
#include <fnmatch.h>
#include <set>
#include <sys/stat.h>
#include <unistd.h>

#include "host/agent_status.hpp"
#include "host/paths.hpp"
#include "tests/support/agent.hpp"
#include "tests/support/platform.hpp"
#include "tests/support/servers.hpp"
#include "tests/support/temp_dir.hpp"

using namespace vigil;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

enum class kind { file, dir };

struct rule {
  const char* pattern; ///< relative path; `*` within one name; a trailing `/**` for anything below
  kind type;
  unsigned mode;
  const char* why;
};

// First match wins: specific rules before general ones.
const std::vector<rule> table{
  // Identity and secrets: the hive (CustomerId, ActivationId, HostID: enough
  // to provision a rogue host), the key that seals the token and the proxy
  // password.
  {"etc/opt/vigil", kind::dir, 0700, "holds the hive and the host key"},
  {"etc/opt/vigil/registry.reg", kind::file, 0600, "the hive: identity, sealed proxy password"},
  {"etc/opt/vigil/registry.reg.lock", kind::file, 0600, "the hive's lock"},
  {"etc/opt/vigil/host.key", kind::file, 0600, "seals the token and the proxy password"},
  // Program files.
  {"etc", kind::dir, 0755, "a system directory"},
  {"etc/opt", kind::dir, 0755, "a system directory"},
  {"etc/systemd", kind::dir, 0755, "a system directory"},
  {"etc/systemd/system", kind::dir, 0755, "a system directory"},
  {"etc/systemd/system/vigil-agent.service", kind::file, 0644, "the unit: a program file"},
  {"opt", kind::dir, 0755, "a system directory"},
  {"opt/vigil", kind::dir, 0755, "program files"},
  {"opt/vigil/VERSION", kind::file, 0644, "program files"},
  {"opt/vigil/vigil-agent_*_amd64.deb", kind::file, 0644, "the native package (Extract=deb)"},
  {"opt/vigil/bin", kind::dir, 0755, "program files"},
  {"opt/vigil/bin/*.json", kind::file, 0644, "the health report's schema"},
  {"opt/vigil/bin/*", kind::file, 0755, "programs"},
  {"opt/vigil/HealthCheck", kind::dir, 0755, "where reports go by default"},
  {"opt/vigil/HealthCheck/*", kind::file, 0600, "reports name CustomerID and ActivationID"},
  // Program data.
  {"var", kind::dir, 0755, "a system directory"},
  {"var/opt", kind::dir, 0755, "a system directory"},
  {"var/opt/vigil", kind::dir, 0755, "program data (each entry private below)"},
  {"var/opt/vigil/CloudAgentInstaller.log", kind::file, 0600,
   "names CustomerId and ActivationId"},
  {"var/opt/vigil/Log", kind::dir, 0700, "logs name hosts, proxies, the proxy user"},
  {"var/opt/vigil/Log/**", kind::file, 0600, "logs name hosts, proxies, the proxy user"},
  {"var/opt/vigil/state", kind::dir, 0700, "the agent's state"},
  {"var/opt/vigil/state/ca-bundle.pem", kind::file, 0644, "the platform's CA: public"},
  {"var/opt/vigil/state/**", kind::dir, 0700, "RocksDB (token), snapshots, status"},
  {"var/opt/vigil/state/**", kind::file, 0600, "RocksDB (token), snapshots, status"},
  {"var/opt/vigil/Manifests/**", kind::dir, 0700, "cached manifests"},
  {"var/opt/vigil/Manifests/**", kind::file, 0600, "cached manifests"},
  {"var/opt/vigil/Patch", kind::dir, 0700, "upgrade packages, the binary-patch reference"},
  {"var/opt/vigil/Patch/**", kind::dir, 0700, "upgrade packages"},
  {"var/opt/vigil/Patch/**", kind::file, 0600, "upgrade packages"},
};

bool matches(const std::string& pattern, const std::string& rel) {
  if (pattern.ends_with("/**")) {
    auto base = pattern.substr(0, pattern.size() - 2); // keeps the '/'
    return rel.starts_with(base) && rel.size() > base.size();
  }
  return ::fnmatch(pattern.c_str(), rel.c_str(), FNM_PATHNAME) == 0;
}

const rule* rule_for(const std::string& rel, kind type) {
  for (auto& r : table)
    if (r.type == type && matches(r.pattern, rel))
      return &r;
  return nullptr;
}

/// Every path under `root`, relative, with what lstat says.
std::map<std::string, struct stat> walk(const fs::path& root) {
  std::map<std::string, struct stat> out;
  for (auto it = fs::recursive_directory_iterator{root}; it != fs::end(it); ++it) {
    struct stat st {};
    if (::lstat(it->path().c_str(), &st) == 0)
      out[fs::relative(it->path(), root).string()] = st;
  }
  return out;
}

std::string octal(unsigned mode) {
  char text[8];
  std::snprintf(text, sizeof(text), "%04o", mode & 07777);
  return text;
}

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1))
    ++n;
  return n;
}

/// A Debian package database and the files the default manifests read.
void write_host_files(const fs::path& root) {
  std::string status;
  for (int i = 0; i < 20; ++i)
    status += "Package: pkg" + std::to_string(i) + "\nStatus: install ok installed\nVersion: 1."
              + std::to_string(i) + "-1\nArchitecture: amd64\n\n";
  test::write_file(root / "var/lib/dpkg/status", status);
  test::write_file(root / "etc/ssh/sshd_config", "PermitRootLogin no\n");
  test::write_file(root / "etc/login.defs", "PASS_MAX_DAYS 90\n");
}

} // namespace

TEST_CASE("file modes: after install, scans, an upload, vigil-proxy and a health check, every "
          "path has the owner and mode of the table") {
  test::temp_dir dir;
  test::platform_process platform{dir / "platform"};
  auto ids = platform.create_customer("Vulnerability,PolicyCompliance");
  REQUIRE(test::set_profile(platform, ids.second, {"CapiIntervalSeconds=1"}) == 0);
  // tinyproxy's BasicAuth takes alphanumeric passwords only.
  const std::string user = "alice";
  const std::string password = "ProxyModes42";
  test::tinyproxy proxy{dir / "proxy", user, password};
  auto relayed = [&] { return count(proxy.log(), "Established connection to host"); };
  auto root = dir / "host";
  test::write_file(root / "etc/machine-id", test::random_machine_id());
  write_host_files(root);
  auto before_install = walk(root);

  // Install with the proxy password on standard input (defect 6): the agent
  // provisions, checks in, scans and uploads through the authenticating proxy.
  auto setup = test::run({test::program("vigil-setup").string(), "--root", root.string(),
                          "CustomerId=" + ids.first, "ActivationId=" + ids.second,
                          "WebServiceUri=" + platform.web_service_uri(),
                          "CaBundle=" + platform.ca_file().string(),
                          "TrustKey=" + platform.trust_key_file().string(),
                          "Proxy=/u " + proxy.url() + " /n " + user + " /p -"},
                         {}, password + "\n");
  REQUIRE_MESSAGE(setup.exit_code == 0, setup.err);
  paths p{root};
  auto uploaded = [&](const std::string& module) {
    auto s = load_agent_status(p);
    auto* m = s ? s->find_module(module) : nullptr;
    return m != nullptr && m->last_upload_ack > 0;
  };
  REQUIRE(test::wait_until(
    [&] {
      auto host = test::host_id_of(root);
      return !host.empty() && uploaded("Vulnerability")
             && !test::platform_rows(platform, host, "Vulnerability").empty();
    },
    90s));
  CHECK(relayed() > 0);

  // vigil-proxy, as installed, with the password on standard input again.
  auto bin = root / "opt/vigil/bin";
  auto set = test::run({(bin / "vigil-proxy").string(), "--root", root.string(), "/u",
                        proxy.url(), "/n", user, "/p", "-", "/t", "off"},
                       {}, password + "\n");
  CHECK_MESSAGE(set.exit_code == 0, set.err);
  // Two more check-ins, through the proxy (the agent's latest route; a
  // kept-alive tunnel carries several check-ins, so tunnels are not counted).
  auto checkins = [&] { return count(platform.request_log(), "v1/checkin"); };
  auto before = checkins();
  CHECK(test::wait_until([&] {
    auto s = load_agent_status(p);
    return checkins() >= before + 2 && s && s->last_route == proxy.url();
  }, 30s));

  // The health check, as installed, writing its reports where it does by default.
  auto health = test::run({(bin / "vigil-healthcheck").string(), "--root", root.string()});
  CHECK_MESSAGE(health.exit_code == 0, health.out);
  CHECK(fs::exists(root / "opt/vigil/HealthCheck"));

  // At rest: the agent stopped (its supervisor's pidfile).
  auto pid_text = test::read_file(p.state_dir() / "vigil-agent.pid");
  if (int pid = pid_text.empty() ? 0 : std::stoi(pid_text); pid > 0 && ::kill(pid, 0) == 0) {
    ::kill(pid, SIGTERM);
    CHECK(test::wait_until([&] { return ::kill(pid, 0) != 0; }, 15s));
  }

  size_t checked = 0;
  for (auto& [rel, st] : walk(root)) {
    if (before_install.count(rel))
      continue; // the test's own files (machine-id, the package database)
    CAPTURE(rel);
    ++checked;
    CHECK_MESSAGE(!S_ISLNK(st.st_mode), "a symbolic link");
    if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
      continue;
    CHECK(st.st_uid == 0);
    CHECK(st.st_gid == 0);
    auto* r = rule_for(rel, S_ISDIR(st.st_mode) ? kind::dir : kind::file);
    std::string what = std::string{S_ISDIR(st.st_mode) ? "directory " : "file "} + rel;
    if (r == nullptr) {
      FAIL_CHECK("not in the table: " << what << ", mode " << octal(st.st_mode));
      continue;
    }
    std::string why = r->why;
    CAPTURE(why);
    CHECK_MESSAGE(octal(st.st_mode) == octal(r->mode), what);
  }
  MESSAGE(checked << " paths checked");
  CHECK(checked > 30);

  // The proxy password is nowhere in clear.
  for (auto& [rel, st] : walk(root))
    if (S_ISREG(st.st_mode)) {
      CAPTURE(rel);
      CHECK(test::read_file(root / rel).find(password) == std::string::npos);
    }
}
