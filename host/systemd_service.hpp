#pragma once

#include <caf/expected.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "host/paths.hpp"

// The agent as a systemd service (SPEC §5), and how it hands work over to a
// program that must outlive it: POSIX only (host/posix/service_manager.cpp).
// The portable interface, which also has the built-in supervisor and the
// Windows service behind it, is host/service_manager.hpp.

namespace vigil {

/// The unit file's text: After=network-online.target, Restart=on-failure,
/// Type=notify with a watchdog, and the sandbox the agent's work allows
/// (issue 15, defect 7): the file system read-only except the agent's program
/// data and hive directories (and /var/log/vigil, its fallback log), home
/// directories read-only, private /tmp and /dev, kernel tunables, logs and
/// control groups protected, no capability but CAP_DAC_READ_SEARCH, no new
/// privileges, the system-service system calls without the privileged ones,
/// and only Unix, IP and netlink sockets. The one source of the unit: setup
/// writes it, and the package's `lib/systemd/system/vigil-agent.service` is
/// generated from it at build time (installer/unit_text_main.cpp).
std::string systemd_unit_text(const paths& p);

/// `systemctl` with `args`: the command line that runs the system's
/// systemctl by its absolute path (/usr/bin/systemctl or /bin/systemctl,
/// found once and accepted only when root alone can change it), never one
/// found through PATH. An error when there is no such program.
caf::expected<std::vector<std::string>> systemctl_command(std::vector<std::string> args);

/// `systemctl daemon-reload`: systemd reads every unit and drop-in again.
/// Self-protection's drop-in (SPEC §13) takes effect only then: until a
/// reload, a killed agent restarts after the unit's own RestartSec and a
/// manual stop is not refused.
caf::expected<void> reload_systemd_units();

/// Whether this process runs as a systemd service of the real root: systemd
/// runs the machine and started this process (it set INVOCATION_ID).
bool running_as_systemd_service();

/// Starts the program open as `program_fd` with `argv` (argv[0] its name) so
/// that it outlives this process and acts outside the agent's service: the
/// self-upgrade's vigil-setup, which stops the agent and replaces its program
/// files and unit, and an uninstall order's vigil-uninstall.
///
/// Under systemd (`running_as_systemd_service`) it becomes a transient service
/// (`handover_command`): its own cgroup, so stopping vigil-agent.service does
/// not kill it as it would kill any process the agent started (whatever its
/// session), and none of the agent's sandbox, which keeps /opt/vigil and the
/// unit files read-only. systemd starts it by the path the open file has now
/// (in a directory only root may write to, so only root could have replaced
/// it since it was verified), and returns once it runs. Elsewhere (the
/// built-in supervisor) it is `start_detached` from the open file itself.
caf::expected<void> start_handover(int program_fd, const std::vector<std::string>& argv);

/// The command line that starts `program` with `args` as the transient service
/// `unit` (systemd-run, by its absolute path): what `start_handover` runs
/// under systemd.
caf::expected<std::vector<std::string>> handover_command(const std::filesystem::path& program,
                                                         const std::vector<std::string>& args,
                                                         const std::string& unit);

} // namespace vigil
