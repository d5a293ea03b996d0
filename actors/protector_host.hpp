#pragma once

// What self-protection (SPEC §13, actors/protector.hpp) asks of the operating
// system beyond the program files and the hive, which are portable: whether
// it can run at all, the service manager's part, and the built-in
// supervisor's. Defined per OS:
// - POSIX (posix/protector_host.cpp): the systemd drop-in (restart always,
//   manual stop refused) and the built-in supervisor the agent and it watch
//   each other through;
// - Windows (windows/protector_host.cpp): not yet: "self-protection is not
//   supported in the Windows build yet" (the service's recovery actions, a
//   tamper watch on ReadDirectoryChangesW and the SPFKEY checks of an
//   uninstaller are still to come), and the other two do nothing.

#include <caf/expected.hpp>
#include <optional>
#include <string>

#include "host/paths.hpp"
#include "protocol/checkin.hpp"

namespace vigil {

/// Whether this build can protect the agent; the error names why not. The
/// protector then keeps protection off, answers every message, and reports
/// the error in its log and the agent status (`tamper_watch`).
caf::expected<void> self_protection_available();

/// Makes the service manager protect the agent (`on`: it restarts the agent
/// whatever ends it and refuses a manual stop) or stop doing so; failures are
/// logged. POSIX: writes or removes the systemd drop-in and has systemd read
/// it when systemd runs the agent.
void keep_service_protection(const paths& p, bool on);

/// When the agent runs under the built-in supervisor whose pidfile is
/// `supervisor_pidfile` and that supervisor is gone, starts a new one that
/// adopts this process; returns the tamper event to report ("killed",
/// "restarted" or why not), or nothing when the supervisor runs. Blocks up
/// to two seconds for the new supervisor's pidfile (the protector is
/// detached).
std::optional<protocol::tamper_event> revive_supervisor(const paths& p,
                                                        const std::string& supervisor_pidfile);

} // namespace vigil
