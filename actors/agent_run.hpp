#pragma once

#include <caf/expected.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "actors/identity_logic.hpp"
#include "host/hive.hpp"
#include "host/hive_store.hpp"
#include "host/logging.hpp"
#include "host/paths.hpp"
#include "host/pinned_keys.hpp"
#include "host/url.hpp"

// The agent's run (SPEC §6) without what differs between systems: each
// system's main (actors/posix/agent_main.cpp: signals, the built-in supervisor,
// systemd's notifications; actors/windows/agent_main.cpp: the service control
// manager, a console's Ctrl+C) prepares the start, then hands the run its
// hooks into the service manager that started it.

namespace vigil {

/// Exit code of an agent stopped to be started again from its program files
/// (the self-patch's restart): EX_TEMPFAIL, which the supervisor, systemd and
/// the Windows service's recovery all restart.
inline constexpr int agent_restart_exit_code = 75;

/// What an agent reads before it runs: its settings and the trust root.
struct agent_start {
  explicit agent_start(paths at) : root{std::move(at)} {}

  paths root;
  std::shared_ptr<log_manager> logs;
  std::shared_ptr<hive_store> hive;
  /// The hive's TraceLevel, which overrides the log level (SPEC §15).
  std::optional<uint32_t> trace_level;
  /// CustomerId, ActivationId and WebServiceUri as read at start.
  agent_settings settings;
  /// The WebServiceUri parsed: an https URL.
  url base;
  /// The platform's root key pinned at install (DESIGN "One trust root"); none
  /// when the hive has none (then no manifest is accepted).
  std::shared_ptr<const trusted_keys> pinned;
  /// The version this agent is: its installed payload's VERSION, else the one
  /// it was built as.
  std::string running_version;
};

/// Opens the logs and the hive under `root` and reads what the run needs.
/// Errors name what is wrong (unreadable hive, a WebServiceUri that is not
/// https), for the caller to print and exit 1.
caf::expected<agent_start> prepare_agent_start(const paths& root);

/// How the run talks to what started it.
struct agent_host_hooks {
  /// Called once every actor runs (systemd READY=1, SCM SERVICE_RUNNING).
  std::function<void()> ready;
  /// Blocks until the agent must stop; returns why, for the log ("SIGTERM").
  std::function<std::string()> wait_for_stop;
  /// Makes a `wait_for_stop` in progress return: the self-patch's restart.
  /// Thread-safe.
  std::function<void()> request_stop;
  /// Called when the stop begins (systemd STOPPING=1, SCM STOP_PENDING).
  std::function<void()> stopping;
  /// When set, `watchdog_ping` is called about twice per interval after a
  /// heartbeat through every actor came back (systemd's watchdog).
  std::optional<std::chrono::microseconds> watchdog_interval;
  std::function<void()> watchdog_ping;
  /// This process's id, for the status file.
  int process_id = 0;
};

/// Runs the agent in this process until `hooks.wait_for_stop` returns, then
/// stops it gracefully within 5 s (SPEC §6). Returns the exit code: 0, 1 on a
/// start-up failure (logged and printed), `agent_restart_exit_code` when the
/// self-patch asked to be started again.
int run_agent(agent_start start, agent_host_hooks hooks);

/// `vigil-agent snapshot MODULE`: prints what MODULE collected last, one
/// key<TAB>value line per row. Returns the exit code.
int print_module_snapshot(const paths& root, const std::string& module);

/// Prints "vigil-agent: MESSAGE" to standard error and the agent log; returns 1.
int fail_agent_start(const std::string& message);

} // namespace vigil
