#pragma once

// The service manager's readiness protocol (sd_notify(3)), spoken directly:
// one datagram to the AF_UNIX socket named by $NOTIFY_SOCKET. systemd documents
// the protocol as stable and recommends implementing it instead of linking
// libsystemd for it; linking libsystemd would load liblzma, libgcrypt,
// libgpg-error, libcap and liblz4 into this root daemon (the path of the 2024
// xz backdoor into sshd) and cost ~0.85 MB of the agent's idle RSS budget.

#include <chrono>
#include <optional>
#include <string_view>

#include <sys/types.h>

namespace vigil {

/// Sends `state` ("READY=1", "WATCHDOG=1", "STOPPING=1"; lines separated by
/// '\n') to the service manager. Returns true when it was sent, false when no
/// manager listens ($NOTIFY_SOCKET unset: not run by systemd) or sending failed;
/// like sd_notify, a failure is not an error the caller must handle.
bool notify_service_manager(std::string_view state);

/// How often the service manager wants "WATCHDOG=1": $WATCHDOG_USEC, when it
/// is set, positive, and $WATCHDOG_PID (if set) names `self`. nullopt when the
/// watchdog is off for this process.
std::optional<std::chrono::microseconds> service_watchdog_interval(pid_t self);

} // namespace vigil
