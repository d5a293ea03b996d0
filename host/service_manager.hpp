#pragma once

#include <caf/expected.hpp>
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "host/paths.hpp"

namespace vigil {

/// The agent's service (SPEC §5, §18) behind one interface: on Linux systemd
/// when it runs the machine (PID 1, production root), otherwise the built-in
/// supervisor (`vigil-agent` without --foreground: pidfile, restart after a
/// crash); on Windows a Windows service (Automatic (Delayed Start), restarted
/// by the service manager after a failure). The systemd specifics (the unit's
/// text, systemctl, the hand-over) are host/systemd_service.hpp.
class service_manager {
public:
  virtual ~service_manager();
  /// "systemd", "supervisor" or "windows-service".
  virtual std::string kind() const = 0;
  /// Registers the agent's service. systemd and the supervisor write
  /// `<root>/etc/systemd/system/vigil-agent.service` (systemd also reloads and
  /// enables it); Windows creates the service, or updates its configuration
  /// when it exists already.
  virtual caf::expected<void> install() = 0;
  /// Starts the agent; returns once it runs. Already running is success.
  virtual caf::expected<void> start() = 0;
  /// Stops the agent gracefully (SIGTERM; on Windows SERVICE_CONTROL_STOP),
  /// and forcibly (SIGKILL, TerminateProcess) after a deadline. Not running
  /// is success.
  virtual caf::expected<void> stop() = 0;
  /// Whether the agent runs.
  virtual bool running() const = 0;
  /// Stops the agent and unregisters its service (deletes the unit file).
  /// Absent is success.
  virtual caf::expected<void> remove() = 0;
  /// Whether the service is registered: its unit file exists; the Windows
  /// service manager knows the service.
  virtual bool registered() const = 0;
  /// The files `install` writes (the unit file), whose bytes setup keeps to
  /// put back when an install fails; none for a Windows service, which lives
  /// in the service manager's database (setup removes it instead when the
  /// failed install had registered it).
  virtual std::vector<std::filesystem::path> registration_files() const = 0;
};

/// The manager for `p`. POSIX: systemd when `p` is the real root and systemd
/// is PID 1, the built-in supervisor otherwise (containers, CI, test roots).
/// Windows: the agent's Windows service, `make_windows_service_manager(p)`.
std::unique_ptr<service_manager> make_service_manager(const paths& p);

/// What the Windows service is (SPEC §18): the agent's by default; a test
/// registers its own program under a name of its own.
struct windows_service_options {
  /// The service's name (`sc query VigilAgent`), unique on the machine.
  std::string name = "VigilAgent";
  /// What the Services console shows; unique on the machine as well.
  std::string display_name = "Vigil Agent";
  /// The console's description of the service.
  std::string description = "Vigil endpoint agent: inventory and scans, reported to the platform.";
  /// The program the service runs. Empty: `<bin_dir>\vigil-agent.exe` of the
  /// manager's paths, which then also gets `--root <root>` when the paths are
  /// not the system's (a test root).
  std::filesystem::path program;
  /// The program's arguments, after it on the service's command line.
  std::vector<std::string> args{"--service"};
  /// How long start waits for the service to run and stop for it to end
  /// before stop ends its process.
  std::chrono::milliseconds deadline{std::chrono::seconds{30}};
};

/// Windows only (host/windows/service_manager.cpp): the manager of the
/// Windows service `options` describes, `kind()` "windows-service". install
/// registers it as its own process, started automatically after the system
/// has started (delayed), restarted by the service manager when it fails
/// (crashes, or stops with a non-zero exit code), running as LocalSystem; the
/// command line is the program's path in quotes and its arguments quoted as
/// the C runtime splits them. Errors name the service and the system's reason.
std::unique_ptr<service_manager> make_windows_service_manager(const paths& p,
                                                              windows_service_options options = {});

} // namespace vigil
