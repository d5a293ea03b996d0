// run_as_service on Windows (service_host.hpp): the service control
// dispatcher, a ServiceMain that runs the body, and the control handler that
// turns a stop, the shutdown or the pre-shutdown into one `request_stop`.
#include "host/service_host.hpp"

#include <atomic>
#include <mutex>
#include <windows.h>

#include "common/error.hpp"
#include "host/windows/wide.hpp"

namespace vigil {

namespace {

/// What ServiceMain and the control handler share with run_as_service.
/// Windows calls ServiceMain with no context of ours, so the one service of
/// this process is `the_run`; it is never destroyed, since the service's
/// thread may still be leaving ServiceMain when the dispatcher has returned.
struct service_run {
  std::string name;
  const service_body* body = nullptr;
  std::function<void()> request_stop;
  std::mutex mutex;
  SERVICE_STATUS_HANDLE handle = nullptr;
  SERVICE_STATUS status{};
  /// Whether a stop was asked for (or the body has ended): the state is
  /// "stop pending" or "stopped" from then on.
  bool stopping = false;
  int exit_code = 0;
  caf::error error;
};

service_run the_run;
std::atomic<bool> in_use{false};

/// How long the service manager is told a start or a stop may take before it
/// counts the service as hung: the agent opens its store when it starts and
/// finishes a scan's batch when it stops.
constexpr DWORD pending_wait_hint_ms = 30000;

/// Tells the service manager `state`; `run.mutex` is held. A running service
/// accepts stop, shutdown and pre-shutdown; a pending or stopped one nothing.
void report_locked(service_run& run, DWORD state) {
  auto& s = run.status;
  s.dwServiceType = SERVICE_WIN32_OWN_PROCESS;
  s.dwCurrentState = state;
  s.dwControlsAccepted = state == SERVICE_RUNNING
                           ? SERVICE_ACCEPT_STOP | SERVICE_ACCEPT_SHUTDOWN | SERVICE_ACCEPT_PRESHUTDOWN
                           : 0;
  bool pending = state == SERVICE_START_PENDING || state == SERVICE_STOP_PENDING;
  s.dwCheckPoint = pending ? s.dwCheckPoint + 1 : 0;
  s.dwWaitHint = pending ? pending_wait_hint_ms : 0;
  s.dwWin32ExitCode = NO_ERROR;
  s.dwServiceSpecificExitCode = 0;
  if (state == SERVICE_STOPPED && run.exit_code != 0) {
    // The program's own code, which the service manager counts as a failure
    // (its failure actions restart the service).
    s.dwWin32ExitCode = ERROR_SERVICE_SPECIFIC_ERROR;
    s.dwServiceSpecificExitCode = static_cast<DWORD>(run.exit_code);
  }
  ::SetServiceStatus(run.handle, &s);
}

DWORD WINAPI control_handler(DWORD control, DWORD, void*, void* context) {
  auto& run = *static_cast<service_run*>(context);
  switch (control) {
    case SERVICE_CONTROL_STOP:
    case SERVICE_CONTROL_SHUTDOWN:
    case SERVICE_CONTROL_PRESHUTDOWN: {
      bool first = false;
      {
        std::lock_guard lock{run.mutex};
        first = !run.stopping;
        run.stopping = true;
        if (first)
          report_locked(run, SERVICE_STOP_PENDING);
      }
      if (first && run.request_stop)
        run.request_stop();
      return NO_ERROR;
    }
    case SERVICE_CONTROL_INTERROGATE:
      // The service manager answers with the status reported last.
      return NO_ERROR;
    default:
      return ERROR_CALL_NOT_IMPLEMENTED;
  }
}

void WINAPI service_main(DWORD argc, LPWSTR* argv) {
  auto& run = the_run;
  // The service manager names the service it started first (Windows and
  // Wine alike): the name it was installed under, whatever the caller said.
  if (argc > 0 && argv[0] && *argv[0])
    run.name = win::narrow(argv[0]);
  run.handle = ::RegisterServiceCtrlHandlerExW(win::widen(run.name).c_str(), control_handler, &run);
  if (!run.handle) {
    // Nothing can be reported without the handle: the service manager ends
    // the process when the start's wait hint has passed.
    run.error = win::last_error("register the control handler of service " + run.name);
    return;
  }
  {
    std::lock_guard lock{run.mutex};
    report_locked(run, SERVICE_START_PENDING);
  }
  auto ready = [&run] {
    std::lock_guard lock{run.mutex};
    if (!run.stopping && run.status.dwCurrentState == SERVICE_START_PENDING)
      report_locked(run, SERVICE_RUNNING);
  };
  int code = (*run.body)(ready);
  run.body = nullptr; // the caller's, which is gone once the dispatcher returns
  std::lock_guard lock{run.mutex};
  run.exit_code = code;
  run.stopping = true;
  // The last report: the dispatcher returns once it is made.
  report_locked(run, SERVICE_STOPPED);
}

} // namespace

caf::expected<int> run_as_service(const std::string& name, const service_body& body,
                                  std::function<void()> request_stop) {
  // The dispatcher connects a process to the service manager once.
  if (in_use.exchange(true))
    return make_error(ec::busy, "service " + name + ": this process has run as a service already");
  auto& run = the_run;
  run.name = name;
  run.body = &body;
  run.request_stop = std::move(request_stop);
  auto wide_name = win::widen(name);
  SERVICE_TABLE_ENTRYW table[] = {{wide_name.data(), service_main}, {nullptr, nullptr}};
  BOOL dispatched = ::StartServiceCtrlDispatcherW(table);
  DWORD err = ::GetLastError();
  if (!dispatched) {
    if (err == ERROR_FAILED_SERVICE_CONTROLLER_CONNECT)
      return make_error(ec::invalid_argument,
                        "service " + name + ": the service manager did not start this process");
    return win::error_from(err, "run as service " + name);
  }
  if (run.error)
    return run.error;
  return run.exit_code;
}

bool started_outside_service_manager(const caf::error& err) {
  return code_of(err) == ec::invalid_argument;
}

} // namespace vigil
