#pragma once

#include <chrono>
#include <filesystem>
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
};

/// Runs `argv` (the agent in the foreground) and restarts it with backoff
/// whenever it crashes (exit by a signal or a non-zero code). Returns when the
/// agent exits with 0 (it chose to stop, e.g. after an uninstall order) or when
/// this process gets SIGTERM/SIGINT, which it forwards to the agent and waits
/// for. The caller has blocked SIGTERM and SIGINT in every thread. Returns the
/// exit code for this process.
int run_supervisor(const std::vector<std::string>& argv, const supervisor_options& options);

/// Detaches the calling process from its terminal and session: fork (the parent
/// exits 0), setsid, stdin/stdout/stderr to /dev/null.
void daemonize_process();

/// The process id in `pidfile` if that process is alive and runs `program`
/// (its /proc/PID/cmdline mentions it), else 0 (a stale pidfile).
int running_pid(const std::filesystem::path& pidfile, const std::string& program);

} // namespace vigil
