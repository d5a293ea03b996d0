#pragma once

#include <caf/expected.hpp>
#include <functional>
#include <string>

// How a program runs *as* the service (SPEC §18): the other side of
// host/service_manager.hpp. On Windows the service manager starts the program
// and talks to it through the service control dispatcher; the program tells
// it when it runs and when it has stopped, and is asked to stop (a stop by an
// administrator or setup, the system's shutdown). Elsewhere systemd and the
// supervisor run the agent as an ordinary process that stops on SIGTERM.

namespace vigil {

/// The work of a program run as a service: it calls `ready` once it serves
/// (the service manager reports the service running only then, as systemd's
/// READY=1 does: a start waits for it), runs until asked to stop, and returns
/// the program's exit code. `ready` may be called from any thread, more than
/// once; a call after a stop was asked for changes nothing.
using service_body = std::function<int(const std::function<void()>& ready)>;

/// Runs `body` as the service `name` and returns its exit code once the
/// service has stopped. Windows: connects to the service manager
/// (StartServiceCtrlDispatcherW, which blocks the calling thread until the
/// service stops) and runs `body` on the service's own thread; the service is
/// "start pending" until `body` calls `ready`, then "running"; a stop, the
/// system's shutdown or pre-shutdown make it "stop pending" and call
/// `request_stop` once, on the dispatcher's thread (it must only signal
/// `body`, not wait for it); when `body` returns the service is "stopped" with
/// its exit code (a non-zero one as the service-specific exit code, which the
/// service manager counts as a failure). `name` names the service until the
/// service manager says which it started (the name it was installed under,
/// which wins); a program that is one service (its own process) runs under
/// any name. One service per process: a second call fails.
///
/// A process the service manager did not start gets the error
/// `started_outside_service_manager` recognises, at once and without running
/// `body`: the caller tells its user to run it with --foreground or to start
/// the service. POSIX: there is no dispatcher; `body` runs at once, `ready`
/// does nothing (the agent tells systemd itself, host/service_notify.hpp) and
/// `request_stop` is never called (SIGTERM stops the agent, like any process).
caf::expected<int> run_as_service(const std::string& name, const service_body& body,
                                  std::function<void()> request_stop);

/// Whether `err`, from `run_as_service`, says the service manager did not
/// start this process (Windows: ERROR_FAILED_SERVICE_CONTROLLER_CONNECT). It
/// is the one `ec::invalid_argument` error `run_as_service` returns: the
/// program was asked to be a service it is not.
bool started_outside_service_manager(const caf::error& err);

} // namespace vigil
