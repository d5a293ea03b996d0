// The agent's Windows service (service_manager.hpp, SPEC §18) through the
// service control manager: created as its own process, Automatic (Delayed
// Start), restarted after a failure; started, stopped and deleted with the
// deadlines of windows_service_options. Its program's side is
// host/windows/service_host.cpp.
#include "host/service_manager.hpp"

#include <iterator>
#include <thread>
#include <utility>
#include <windows.h>

#include "common/error.hpp"
#include "host/command_line.hpp"
#include "host/windows/wide.hpp"

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace vigil {

service_manager::~service_manager() = default;

namespace {

/// A handle of the service control manager or of a service, closed on
/// destruction.
class sc_handle {
public:
  sc_handle() noexcept = default;
  explicit sc_handle(SC_HANDLE h) noexcept : h_{h} {}
  ~sc_handle() {
    if (h_)
      ::CloseServiceHandle(h_);
  }
  sc_handle(sc_handle&& other) noexcept : h_{std::exchange(other.h_, nullptr)} {}
  sc_handle& operator=(sc_handle&& other) noexcept {
    std::swap(h_, other.h_);
    return *this;
  }
  sc_handle(const sc_handle&) = delete;
  sc_handle& operator=(const sc_handle&) = delete;

  SC_HANDLE get() const noexcept { return h_; }
  explicit operator bool() const noexcept { return h_ != nullptr; }

private:
  SC_HANDLE h_ = nullptr;
};

/// `code`, from a service control manager call described by `what`, as a
/// Vigil error with the system's reason: the service codes that have a Vigil
/// meaning get it (missing, existing, busy, too slow), the others are
/// win::error_from's.
caf::error service_error(DWORD code, const std::string& what) {
  auto err = win::error_from(code, what);
  switch (code) {
    case ERROR_SERVICE_DOES_NOT_EXIST:
      return make_error(ec::not_found, context_of(err));
    case ERROR_SERVICE_EXISTS:
    case ERROR_DUPLICATE_SERVICE_NAME:
      return make_error(ec::already_exists, context_of(err));
    case ERROR_SERVICE_MARKED_FOR_DELETE:
    case ERROR_SERVICE_DATABASE_LOCKED:
      return make_error(ec::busy, context_of(err));
    case ERROR_SERVICE_REQUEST_TIMEOUT:
      return make_error(ec::timeout, context_of(err));
    default:
      return err;
  }
}

/// How a stopped service ended, for an error message: ", exit code N" for
/// the program's own code, the system's reason for another, nothing when it
/// ended well or never started.
std::string exit_text(const SERVICE_STATUS_PROCESS& status) {
  if (status.dwWin32ExitCode == ERROR_SERVICE_SPECIFIC_ERROR)
    return ", exit code " + std::to_string(status.dwServiceSpecificExitCode);
  if (status.dwWin32ExitCode == NO_ERROR || status.dwWin32ExitCode == ERROR_SERVICE_NEVER_STARTED)
    return {};
  return ": " + context_of(win::error_from(status.dwWin32ExitCode, "exit"));
}

/// The restarts after a failure: 5 s after the first two (systemd's
/// RestartSec=5), a minute after any later one within a day.
constexpr DWORD failure_reset_period_s = 24 * 60 * 60;
constexpr SC_ACTION restart_actions[] = {
  {SC_ACTION_RESTART, 5000}, {SC_ACTION_RESTART, 5000}, {SC_ACTION_RESTART, 60000}};

/// How often start and stop look at the service's state.
constexpr auto poll_interval = 50ms;

class windows_service final : public service_manager {
public:
  windows_service(paths p, windows_service_options options)
    : paths_{std::move(p)}, options_{std::move(options)} {}

  std::string kind() const override { return "windows-service"; }

  caf::expected<void> install() override {
    auto scm = open_manager(SC_MANAGER_CONNECT | SC_MANAGER_CREATE_SERVICE);
    if (!scm)
      return scm.error();
    auto name = win::widen(options_.name);
    auto display = win::widen(options_.display_name);
    auto command = command_line();
    // SERVICE_START: the failure actions restart the service.
    constexpr DWORD access = SERVICE_CHANGE_CONFIG | SERVICE_QUERY_CONFIG | SERVICE_START;
    sc_handle service{::CreateServiceW(scm->get(), name.c_str(), display.c_str(), access,
                                       SERVICE_WIN32_OWN_PROCESS, SERVICE_AUTO_START,
                                       SERVICE_ERROR_NORMAL, command.c_str(), nullptr, nullptr,
                                       nullptr, nullptr /* LocalSystem */, nullptr)};
    if (!service) {
      DWORD err = ::GetLastError();
      if (err != ERROR_SERVICE_EXISTS)
        return service_error(err, "create service " + options_.name);
      // A reinstall or an upgrade: the same service with this configuration.
      service = sc_handle{::OpenServiceW(scm->get(), name.c_str(), access)};
      if (!service)
        return service_error(::GetLastError(), "open service " + options_.name);
      if (!::ChangeServiceConfigW(service.get(), SERVICE_WIN32_OWN_PROCESS, SERVICE_AUTO_START,
                                  SERVICE_ERROR_NORMAL, command.c_str(), nullptr, nullptr,
                                  nullptr, nullptr, nullptr, display.c_str()))
        return service_error(::GetLastError(), "update service " + options_.name);
    }
    auto description = win::widen(options_.description);
    SERVICE_DESCRIPTIONW description_info{description.data()};
    if (auto ok = configure(service, SERVICE_CONFIG_DESCRIPTION, &description_info, "description");
        !ok)
      return ok;
    // Automatic (Delayed Start), as the guide says: after the services the
    // system needs to start have started.
    SERVICE_DELAYED_AUTO_START_INFO delayed{TRUE};
    if (auto ok = configure(service, SERVICE_CONFIG_DELAYED_AUTO_START_INFO, &delayed,
                            "delayed automatic start");
        !ok)
      return ok;
    SERVICE_FAILURE_ACTIONSW failure{};
    failure.dwResetPeriod = failure_reset_period_s;
    failure.cActions = static_cast<DWORD>(std::size(restart_actions));
    failure.lpsaActions = const_cast<SC_ACTION*>(restart_actions);
    if (auto ok = configure(service, SERVICE_CONFIG_FAILURE_ACTIONS, &failure, "failure actions");
        !ok)
      return ok;
    // A stop with a non-zero exit code is a failure too, not only a crash
    // (systemd's Restart=on-failure).
    SERVICE_FAILURE_ACTIONS_FLAG on_exit_code{TRUE};
    return configure(service, SERVICE_CONFIG_FAILURE_ACTIONS_FLAG, &on_exit_code,
                     "failure actions flag");
  }

  caf::expected<void> start() override {
    auto service = open_service(SERVICE_START | SERVICE_QUERY_STATUS);
    if (!service)
      return service.error();
    auto deadline = std::chrono::steady_clock::now() + options_.deadline;
    bool started = false;
    for (;;) {
      auto status = query(*service);
      if (!status)
        return status.error();
      switch (status->dwCurrentState) {
        case SERVICE_RUNNING:
          return {};
        case SERVICE_STOPPED:
          if (started)
            return make_error(ec::unspecified, "service " + options_.name
                                                 + " stopped while it started"
                                                 + exit_text(*status));
          if (!::StartServiceW(service->get(), 0, nullptr)) {
            DWORD err = ::GetLastError();
            if (err != ERROR_SERVICE_ALREADY_RUNNING)
              return start_failure(*service, err);
          }
          started = true;
          continue;
        default: // start pending, or a stop to finish before the start
          break;
      }
      if (std::chrono::steady_clock::now() >= deadline)
        return make_error(ec::timeout, "service " + options_.name + " did not run within "
                                         + std::to_string(options_.deadline.count()) + " ms");
      std::this_thread::sleep_for(poll_interval);
    }
  }

  caf::expected<void> stop() override {
    auto service = open_service(SERVICE_STOP | SERVICE_QUERY_STATUS);
    if (!service)
      return code_of(service.error()) == ec::not_found ? caf::expected<void>{} : service.error();
    return stop_and_wait(*service);
  }

  bool running() const override {
    auto service = open_service(SERVICE_QUERY_STATUS);
    if (!service)
      return false;
    auto status = query(*service);
    return status && status->dwCurrentState != SERVICE_STOPPED;
  }

  caf::expected<void> remove() override {
    auto service = open_service(DELETE | SERVICE_STOP | SERVICE_QUERY_STATUS);
    if (!service)
      return code_of(service.error()) == ec::not_found ? caf::expected<void>{} : service.error();
    if (auto stopped = stop_and_wait(*service); !stopped)
      return stopped;
    // Gone once the last handle to it (ours, a console's) is closed.
    if (!::DeleteService(service->get()) && ::GetLastError() != ERROR_SERVICE_MARKED_FOR_DELETE)
      return service_error(::GetLastError(), "delete service " + options_.name);
    return {};
  }

  bool registered() const override {
    return static_cast<bool>(open_service(SERVICE_QUERY_STATUS));
  }

  std::vector<std::filesystem::path> registration_files() const override { return {}; }

private:
  /// The service's command line: the program's path in quotes (a path with a
  /// space is never read as a shorter program), then its arguments.
  std::wstring command_line() const {
    auto program = options_.program;
    auto args = options_.args;
    if (program.empty()) {
      program = paths_.bin_dir() / L"vigil-agent.exe";
      if (!paths_.is_system_root()) {
        args.emplace_back("--root");
        args.push_back(win::display(paths_.root()));
      }
    }
    std::wstring line = L"\"" + program.native() + L"\"";
    for (const auto& arg : args)
      line += L" " + win::widen(quote_argument(arg));
    return line;
  }

  caf::expected<sc_handle> open_manager(DWORD access) const {
    sc_handle scm{::OpenSCManagerW(nullptr, nullptr, access)};
    if (!scm)
      return service_error(::GetLastError(), "open the service control manager for service "
                                               + options_.name);
    return scm;
  }

  /// The service, opened for `access`; ec::not_found when it does not exist.
  caf::expected<sc_handle> open_service(DWORD access) const {
    auto scm = open_manager(SC_MANAGER_CONNECT);
    if (!scm)
      return scm.error();
    sc_handle service{::OpenServiceW(scm->get(), win::widen(options_.name).c_str(), access)};
    if (!service)
      return service_error(::GetLastError(), "open service " + options_.name);
    return service;
  }

  caf::expected<SERVICE_STATUS_PROCESS> query(const sc_handle& service) const {
    SERVICE_STATUS_PROCESS status{};
    DWORD needed = 0;
    if (!::QueryServiceStatusEx(service.get(), SC_STATUS_PROCESS_INFO,
                                reinterpret_cast<BYTE*>(&status), sizeof(status), &needed))
      return service_error(::GetLastError(), "query service " + options_.name);
    return status;
  }

  /// ChangeServiceConfig2W at `level`. A service manager that does not know
  /// the level (ERROR_INVALID_LEVEL: Wine knows neither delayed start nor the
  /// failure actions flag) leaves that part out; the service is still
  /// automatic and the rest of its configuration holds.
  caf::expected<void> configure(const sc_handle& service, DWORD level, void* info,
                                const std::string& what) const {
    if (::ChangeServiceConfig2W(service.get(), level, info))
      return {};
    DWORD err = ::GetLastError();
    if (err == ERROR_INVALID_LEVEL)
      return {};
    return service_error(err, "set the " + what + " of service " + options_.name);
  }

  /// StartServiceW's failure `err` as an error: the service manager's reason
  /// and how the program ended, or, for a start that timed out with no exit
  /// code to show, what that usually means.
  caf::error start_failure(const sc_handle& service, DWORD err) const {
    auto failure = service_error(err, "start service " + options_.name);
    auto context = context_of(failure);
    std::string ended;
    if (auto status = query(service); status && status->dwCurrentState == SERVICE_STOPPED)
      ended = exit_text(*status);
    context += ended;
    if (err == ERROR_SERVICE_REQUEST_TIMEOUT && ended.empty())
      context += " (" + win::narrow(command_line())
                 + " ended, or did not connect to the service manager in time: is it a service"
                   " program?)";
    return make_error(code_of(failure), std::move(context));
  }

  /// Asks the service to stop and waits for it to have stopped; past the
  /// deadline ends its process.
  caf::expected<void> stop_and_wait(const sc_handle& service) const {
    auto deadline = std::chrono::steady_clock::now() + options_.deadline;
    bool asked = false;
    for (;;) {
      auto status = query(service);
      if (!status)
        return status.error();
      if (status->dwCurrentState == SERVICE_STOPPED)
        return {};
      if (!asked && status->dwCurrentState != SERVICE_START_PENDING
          && status->dwCurrentState != SERVICE_STOP_PENDING) {
        SERVICE_STATUS ignored{};
        if (::ControlService(service.get(), SERVICE_CONTROL_STOP, &ignored))
          asked = true;
        else if (DWORD err = ::GetLastError(); err == ERROR_SERVICE_NOT_ACTIVE)
          return {};
        else if (err != ERROR_SERVICE_CANNOT_ACCEPT_CTRL) // a pending state: ask again later
          return service_error(err, "stop service " + options_.name);
      }
      if (std::chrono::steady_clock::now() >= deadline)
        return end_process(service, *status);
      std::this_thread::sleep_for(poll_interval);
    }
  }

  /// The last resort of a stop: ends the service's process, as the
  /// supervisor's SIGKILL does, and waits for the service manager to see it.
  caf::expected<void> end_process(const sc_handle& service,
                                  const SERVICE_STATUS_PROCESS& status) const {
    auto late = make_error(ec::timeout, "service " + options_.name + " did not stop within "
                                          + std::to_string(options_.deadline.count()) + " ms");
    if (status.dwProcessId == 0)
      return late;
    win::unique_handle process{
      ::OpenProcess(PROCESS_TERMINATE | SYNCHRONIZE, FALSE, status.dwProcessId)};
    if (!process)
      return late;
    ::TerminateProcess(process.get(), ERROR_SERVICE_REQUEST_TIMEOUT);
    ::WaitForSingleObject(process.get(), 5000);
    for (int i = 0; i < 100; ++i) {
      auto now = query(service);
      if (now && now->dwCurrentState == SERVICE_STOPPED)
        return {};
      std::this_thread::sleep_for(poll_interval);
    }
    return late;
  }

  paths paths_;
  windows_service_options options_;
};

} // namespace

std::unique_ptr<service_manager> make_windows_service_manager(const paths& p,
                                                              windows_service_options options) {
  return std::make_unique<windows_service>(p, std::move(options));
}

std::unique_ptr<service_manager> make_service_manager(const paths& p) {
  return make_windows_service_manager(p);
}

} // namespace vigil
