#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "common/backoff.hpp"

namespace vigil {

/// How the built-in supervisor (SPEC §5, where systemd does not run) keeps the
/// agent alive.
struct supervisor_options {
  /// Restart delays after a crash; reset once the agent ran `stable_after`.
  backoff_policy restart_backoff{std::chrono::seconds{1}, std::chrono::seconds{60}, 0.2};
  std::chrono::seconds stable_after{60};
  /// How long a stop waits for the agent before SIGKILL.
  std::chrono::seconds stop_timeout{10};
  /// Whether self-protection is on now (SPEC §13), asked after each exit of
  /// the agent: while it is, an agent killed from outside (SIGKILL, SIGTERM
  /// not sent by this supervisor) is started again at once, without backoff;
  /// a crash of its own (another signal, a non-zero exit) still backs off.
  std::function<bool()> protection_on;
  /// A running agent process this supervisor takes over instead of starting
  /// one (0: none): the agent started a new supervisor because its own was
  /// killed. Its end is seen through a pidfd; a new agent then starts at once.
  int adopt_pid = 0;
  /// Called before each start of the agent (none: nothing), e.g. to repair
  /// the program files a killer may have replaced.
  std::function<void()> before_start;
  /// Whether a SIGTERM or SIGINT from process `sender` stops the agent (none:
  /// always). While self-protection is on, one from a process that may not
  /// stop it is logged and ignored (SPEC §13).
  std::function<bool(int sender)> accept_stop;
};

/// The environment variable a supervised agent finds its supervisor's pidfile
/// in (set by `run_supervisor` for its child): the agent starts a new
/// supervisor when that one is gone and self-protection is on.
inline constexpr const char* supervisor_pidfile_env = "VIGIL_SUPERVISOR_PIDFILE";

/// Runs `argv` (the agent in the foreground) and restarts it with backoff
/// whenever it crashes (exit by a signal or a non-zero code). Returns when the
/// agent exits with 0 (it chose to stop, e.g. after an uninstall order) or when
/// this process gets SIGTERM/SIGINT, which it forwards to the agent and waits
/// for. The caller has blocked SIGTERM and SIGINT in every thread. Returns the
/// exit code for this process.
int run_supervisor(const std::vector<std::string>& argv, const supervisor_options& options);

/// Whether the agent was killed from outside: by SIGKILL or SIGTERM (the
/// supervisor itself stops the agent otherwise than through this path).
bool killed_from_outside(int wait_status) noexcept;

/// Detaches the calling process from its terminal and session: fork (the parent
/// exits 0), setsid, stdin/stdout/stderr to /dev/null.
void daemonize_process();

/// The process id in `pidfile` if that process is alive and runs `program`
/// (its /proc/PID/cmdline mentions it), else 0 (a stale pidfile).
int running_pid(const std::filesystem::path& pidfile, const std::string& program);

} // namespace vigil
