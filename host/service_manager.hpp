#pragma once

#include <caf/expected.hpp>
#include <memory>
#include <string>

#include "host/paths.hpp"

namespace vigil {

/// The agent's service (SPEC §5) behind one interface: systemd when it runs
/// the machine (PID 1, production root), otherwise the built-in supervisor
/// (`vigil-agent` without --foreground: pidfile, restart after a crash).
class service_manager {
public:
  virtual ~service_manager();
  /// "systemd" or "supervisor".
  virtual std::string kind() const = 0;
  /// Writes `<root>/etc/systemd/system/vigil-agent.service` and registers it
  /// (systemd: daemon-reload, enable).
  virtual caf::expected<void> install() = 0;
  /// Starts the agent; returns once it runs.
  virtual caf::expected<void> start() = 0;
  /// Stops the agent gracefully (SIGTERM, then SIGKILL after a deadline).
  virtual caf::expected<void> stop() = 0;
  /// Whether the agent runs.
  virtual bool running() const = 0;
  /// Unregisters and deletes the unit file.
  virtual caf::expected<void> remove() = 0;
};

/// The manager for `p`: systemd when `p` is the real root and systemd is PID
/// 1, the built-in supervisor otherwise (containers, CI, test roots).
std::unique_ptr<service_manager> make_service_manager(const paths& p);

/// The unit file's text: After=network-online.target, Restart=on-failure,
/// Type=notify with a watchdog.
std::string systemd_unit_text(const paths& p);

} // namespace vigil
