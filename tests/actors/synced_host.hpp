#pragma once

// A test host kept in sync with a real vigil-platform by the real vigil-agent,
// and what the platform's request log says about the deltas it received
// (SPEC §9). Shared by the upload, blackout and disk-full tests.

#include <doctest/doctest.h>
#include <chrono>
#include <filesystem>
#include <functional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "tests/support/agent.hpp"
#include "tests/support/platform.hpp"
#include "tests/support/temp_dir.hpp"

namespace vigil::test {

/// The modules a customer licensed for Vulnerability and PolicyCompliance syncs.
extern const std::vector<std::string> synced_modules;

/// A dpkg status file with `count` packages; package i has version `version(i)`.
std::string dpkg_status(int count, const std::function<std::string(int)>& version,
                        const std::set<int>& absent = {});

/// A version string that differs from package to package the way real ones
/// do (so a snapshot does not compress to almost nothing).
std::string version_of(int i);

/// The files the default manifests look at, as a host would have them.
void write_host_files(const std::filesystem::path& root, int packages);

/// Whether the platform holds exactly the agent's latest snapshot of every
/// synced module (and there is one); `difference` says what differs.
bool in_sync(const platform_process& platform, const std::filesystem::path& root,
             std::string* difference = nullptr);

/// One line of the platform's request log.
struct logged_request {
  std::string method, target, outcome;
  unsigned status = 0;
  size_t in = 0;
  std::string host; ///< the HostID, or "-"
};

/// Every line of the platform's request log.
std::vector<logged_request> request_log(const platform_process& platform);

/// Bytes of delta chunks sent for `module`, from request `from` on.
size_t delta_bytes(const std::vector<logged_request>& log, const std::string& module,
                   size_t from = 0);

/// Whether no `(module, seq)` was applied twice; `applied` receives how many were.
bool applied_at_most_once(const std::vector<logged_request>& log, size_t* applied = nullptr);

/// Changes a few files of the root the way a host changes between scans.
void mutate(const std::filesystem::path& root, std::mt19937& random, int round);

/// A platform, a customer licensed for Vulnerability and PolicyCompliance
/// (profile: check-ins every second plus `profile`), and a prepared root with
/// `packages` packages, ready for `start_agent`.
struct synced_host {
  temp_dir dir;
  platform_process platform{dir / "platform"};
  std::filesystem::path root = dir / "host";
  std::pair<std::string, std::string> ids;

  explicit synced_host(int packages, std::vector<std::string> profile = {});

  /// Prints the agent's logs (after a failure).
  void dump_logs();

  /// Waits until `in_sync`, printing what differs and the logs if it never is.
  bool wait_in_sync(std::chrono::seconds deadline);

  /// Writes ScanOnDemand=1 for `module` and waits until the scan completed.
  bool scan_now(const std::string& module, std::chrono::seconds deadline = std::chrono::seconds{30});
};

} // namespace vigil::test
