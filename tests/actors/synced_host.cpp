#include "tests/actors/synced_host.hpp"

#include <regex>
#include <fstream>
#include <sstream>

namespace vigil::test {

namespace fs = std::filesystem;


const std::vector<std::string> synced_modules{"Inventory", "Vulnerability", "PolicyCompliance"};

/// A dpkg status file with `count` packages; package i has version `v(i)`.
std::string dpkg_status(int count, const std::function<std::string(int)>& version,
                        const std::set<int>& absent) {
  std::string status;
  for (int i = 0; i < count; ++i)
    if (!absent.count(i))
      status += "Package: pkg" + std::to_string(i) + "\nStatus: install ok installed\nVersion: "
                + version(i) + "\nArchitecture: amd64\n\n";
  return status;
}

/// A version string that differs from package to package the way real ones
/// do (so the snapshot does not compress to almost nothing).
std::string version_of(int i) {
  auto h = static_cast<uint32_t>(i) * 2654435761u;
  return std::to_string(h % 97) + "." + std::to_string(h / 97 % 1013) + "-" + std::to_string(h % 7919)
         + "+deb12u" + std::to_string(h % 11);
}

/// The files the default manifests look at, as a host would have them.
void write_host_files(const fs::path& root, int packages) {
  test::write_file(root / "var/lib/dpkg/status", dpkg_status(packages, version_of));
  test::write_file(root / "etc/ssh/sshd_config", "PermitRootLogin no\nPasswordAuthentication no\n");
  test::write_file(root / "etc/login.defs", "PASS_MAX_DAYS 90\n");
  test::write_file(root / "etc/cron.d/backup", "0 3 * * * root /usr/local/bin/backup\n");
}

/// Whether the platform holds exactly the agent's latest snapshot of every
/// synced module (and there is one).
bool in_sync(const test::platform_process& platform, const fs::path& root,
             std::string* difference) {
  auto host = test::host_id_of(root);
  for (auto& m : synced_modules) {
    auto mine = test::snapshot_rows(root, m);
    if (mine.empty()) {
      if (difference)
        *difference = m + ": no snapshot yet";
      return false;
    }
    auto theirs = test::platform_rows(platform, host, m);
    if (mine != theirs) {
      if (difference)
        *difference = m + ": agent " + std::to_string(mine.size()) + " rows, platform "
                      + std::to_string(theirs.size());
      return false;
    }
  }
  return true;
}


std::vector<logged_request> request_log(const test::platform_process& platform) {
  static const std::regex line{R"(^\S+ (\S+) (\S+) host=(\S+) status=(\d+) in=(\d+) out=\d+ conn=\d+ ?(\S*)$)"};
  std::vector<logged_request> out;
  std::istringstream lines{platform.request_log()};
  for (std::string text; std::getline(lines, text);) {
    std::smatch m;
    if (std::regex_match(text, m, line))
      out.push_back({m[1], m[2], m[6], static_cast<unsigned>(std::stoul(m[4])),
                     std::stoull(m[5]), m[3]});
  }
  return out;
}

/// Bytes of delta chunks sent for `module`, from request `from` on.
size_t delta_bytes(const std::vector<logged_request>& log, const std::string& module,
                   size_t from) {
  size_t total = 0;
  for (size_t i = from; i < log.size(); ++i)
    if (log[i].method == "PUT" && log[i].target.find("/v1/deltas/" + module + "/") != std::string::npos)
      total += log[i].in;
  return total;
}

/// Every `(module, seq)` the platform applied, and whether one was applied twice.
bool applied_at_most_once(const std::vector<logged_request>& log, size_t* applied) {
  std::set<std::string> seen;
  bool once = true;
  for (auto& r : log)
    if (r.outcome == "applied" && !seen.insert(r.target).second) {
      MESSAGE("applied twice: " << r.target);
      once = false;
    }
  if (applied)
    *applied = seen.size();
  return once;
}

synced_host::synced_host(int packages, std::vector<std::string> profile)
  : ids{platform.create_customer("Vulnerability,PolicyCompliance")} {
  profile.push_back("CapiIntervalSeconds=1");
  REQUIRE(set_profile(platform, ids.second, profile) == 0);
  prepare_root(root, platform, ids);
  write_host_files(root, packages);
}

void synced_host::dump_logs() {
  for (std::string name : {"Agent", "Upload", "Delta", "Vulnerability", "Config", "Network"})
    MESSAGE(name << ".log:\n" << read_file(root / "var/opt/vigil/Log" / (name + ".log")));
}

bool synced_host::wait_in_sync(std::chrono::seconds deadline) {
  std::string difference;
  if (wait_until([&] { return in_sync(platform, root, &difference); }, deadline))
    return true;
  MESSAGE("not in sync: " << difference);
  dump_logs();
  return false;
}

bool synced_host::scan_now(const std::string& module, std::chrono::seconds deadline) {
  REQUIRE(reg_add(root, "ScanOnDemand\\" + module, "ScanOnDemand", "REG_DWORD", "1") == 0);
  return wait_until([&] { return on_demand_value(root, module) == 0u; }, deadline);
}


/// Changes a few files of the root the way a host changes between scans.
void mutate(const fs::path& root, std::mt19937& random, int round) {
  auto bump = static_cast<int>(random() % 40);
  test::write_file(root / "var/lib/dpkg/status",
                   dpkg_status(2000 + round % 7, [&](int i) {
                     return version_of(i) + (i % 40 == bump ? "-r" + std::to_string(round) : "");
                   }, {static_cast<int>(random() % 2000)}));
  if (round % 3 == 0)
    test::write_file(root / "etc/ssh/sshd_config",
                     "PermitRootLogin no\nMaxAuthTries " + std::to_string(round) + "\n");
  if (round % 4 == 0)
    test::write_file(root / ("etc/cron.d/job" + std::to_string(round % 3)), "# " + std::to_string(round) + "\n");
}


} // namespace vigil::test
