#pragma once

// A private Wine prefix for one test: its own C: drive, registry, service
// control manager and wineserver, so a Windows program under test (the agent
// as a service, reg.exe, sc.exe) sees a machine of its own and nothing of
// another test's. Linux-native code: the tests that drive the Windows build
// (tests/wine) run here, beside the real vigil-platform.

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace vigil::test {

class wine_prefix {
public:
  /// Creates the prefix under `dir` (wineboot: 10-30 s) and starts
  /// `keepalive` (a Windows program that waits, e.g. the Windows build's
  /// `host_windows_child.exe sleep MS`), which keeps the prefix's wineserver,
  /// and with it the service control manager's services, alive until
  /// destruction: Wine stops services when its last ordinary process exits.
  wine_prefix(std::filesystem::path dir, const std::vector<std::string>& keepalive);
  /// A copy of `original` under `dir`, as a cloned machine's disk: its C:
  /// drive and registry as `original` last saved them (`shut_down` it first).
  /// `prepare` may change the copy's files before it boots (what sysprep does
  /// to an image); then `keepalive` starts in it, and with it the services
  /// set to start automatically.
  wine_prefix(std::filesystem::path dir, const std::vector<std::string>& keepalive,
              const wine_prefix& original,
              const std::function<void(const std::filesystem::path& dir)>& prepare = {});
  /// Stops every process of the prefix (wineserver -k of this prefix only).
  ~wine_prefix();

  /// Ends every process of the prefix and its wineserver, which saves the
  /// registry to disk: a machine powered off, ready to be copied.
  void shut_down();
  /// Starts the keep-alive program again after `shut_down`.
  void start_up();
  wine_prefix(const wine_prefix&) = delete;
  wine_prefix& operator=(const wine_prefix&) = delete;

  /// Runs a Windows program (a path on this machine, or a name Wine finds in
  /// C:\windows\system32 such as "reg" or "sc") to completion; the output
  /// with "\r\n" turned into "\n".
  process_result run(const std::vector<std::string>& argv) const;

  /// Starts a Windows program in the background, output to `log_file`.
  std::unique_ptr<child_process> start(const std::vector<std::string>& argv,
                                       const std::filesystem::path& log_file = {}) const;

  /// `C:\` on this machine.
  std::filesystem::path drive_c() const { return dir_ / "drive_c"; }

  /// `reg add KEY /v NAME /t TYPE /d DATA /f`; returns the exit code.
  int reg_add(const std::string& key, const std::string& name, const std::string& type,
              const std::string& data) const;

  /// The data of value `name` of `key` as `reg query` prints it, or nothing.
  std::optional<std::string> reg_query(const std::string& key, const std::string& name) const;

  /// SIGKILLs every process of this prefix whose command line names
  /// `program` (e.g. "vigil-agent.exe"): the Linux processes Wine runs
  /// Windows programs in, found by their WINEPREFIX. Returns how many.
  int kill_program(const std::string& program) const;

  /// The environment a Windows program of this prefix runs with.
  std::vector<std::string> environment() const;

private:
  void start_keepalive();

  std::filesystem::path dir_;
  std::vector<std::string> keepalive_argv_;
  std::unique_ptr<child_process> keepalive_;
};

/// The Wine loader (wine64), or empty when Wine is not installed.
std::filesystem::path wine_program();

/// What keeps a test's prefix alive: the Windows build's helper program
/// sleeping for a day (`host_windows_child.exe sleep 86400000`).
std::vector<std::string> keepalive_program();

/// The agent's key in the registry (SPEC §2), as reg.exe names it.
inline const std::string agent_registry_key = "HKLM\\SOFTWARE\\Vigil\\VigilAgent";

/// The Windows build under test, named by VIGIL_WINDOWS_BUILD_DIR
/// (scripts/test-windows.sh sets it); fails the test when it is not there.
std::filesystem::path windows_build_dir();

} // namespace vigil::test
