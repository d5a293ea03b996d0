// The `services` collector on Windows: the Win32 services of the service
// control manager (EnumServicesStatusExW, QueryServiceConfigW). Drivers are
// left out: they are the kernel's, not services.
//
//   services/<name>  {"manager": "scm", "display_name", "state": "enabled"|"manual"|
//                     "disabled", "start_type": "auto"|"delayed-auto"|"demand"|
//                     "disabled"|"boot"|"system", "status": "running"|"stopped"|
//                     "paused"|"start-pending"|"stop-pending"|"continue-pending"|
//                     "pause-pending", "path"?, "account"?}
//   services/<name>  the same with "error" and without the configuration, when
//                    the service's configuration cannot be read
//   error/services/scm  {"error"}  the service control manager cannot be opened
//                                  or enumerated
//
// "state" is the Linux collector's word for whether the service starts with
// the system (collectors/services.cpp): "enabled" for the automatic start
// types, "manual" for demand start, which has no systemd twin, "disabled".
// "start_type" says exactly which; "delayed-auto" when
// SERVICE_CONFIG_DELAYED_AUTO_START_INFO says so. "path" is the command line
// the service starts with (an unquoted one with blanks is a finding), "account"
// the one it runs as. The process id is left out: it changes at each restart
// without the service changing.

#include <windows.h>

#include "common/error.hpp"
#include "host/windows/wide.hpp"
#include "scan/collectors/collectors.hpp"

namespace vigil::scan::detail {

namespace {

/// A service handle (SC_HANDLE), closed on destruction.
struct service_handle {
  SC_HANDLE h = nullptr;
  explicit service_handle(SC_HANDLE handle) noexcept : h{handle} {}
  ~service_handle() {
    if (h != nullptr)
      ::CloseServiceHandle(h);
  }
  service_handle(const service_handle&) = delete;
  service_handle& operator=(const service_handle&) = delete;
};

std::string_view status_name(DWORD state) noexcept {
  switch (state) {
    case SERVICE_STOPPED: return "stopped";
    case SERVICE_START_PENDING: return "start-pending";
    case SERVICE_STOP_PENDING: return "stop-pending";
    case SERVICE_RUNNING: return "running";
    case SERVICE_CONTINUE_PENDING: return "continue-pending";
    case SERVICE_PAUSE_PENDING: return "pause-pending";
    case SERVICE_PAUSED: return "paused";
    default: return "unknown";
  }
}

std::string_view start_type_name(DWORD type) noexcept {
  switch (type) {
    case SERVICE_BOOT_START: return "boot";
    case SERVICE_SYSTEM_START: return "system";
    case SERVICE_AUTO_START: return "auto";
    case SERVICE_DEMAND_START: return "demand";
    case SERVICE_DISABLED: return "disabled";
    default: return "unknown";
  }
}

std::string_view state_of(DWORD type) noexcept {
  switch (type) {
    case SERVICE_DEMAND_START: return "manual";
    case SERVICE_DISABLED: return "disabled";
    default: return "enabled";
  }
}

/// Whether an automatic service is started late (SERVICE_CONFIG_DELAYED_AUTO_START_INFO);
/// false when the system cannot say.
bool delayed_start(SC_HANDLE service) {
  SERVICE_DELAYED_AUTO_START_INFO info{};
  DWORD needed = 0;
  return ::QueryServiceConfig2W(service, SERVICE_CONFIG_DELAYED_AUTO_START_INFO,
                                reinterpret_cast<BYTE*>(&info), sizeof(info), &needed)
         && info.fDelayedAutostart;
}

/// Adds what QueryServiceConfigW says of `name` to `value`, or "error".
void add_config(SC_HANDLE manager, const wchar_t* name, nlohmann::json& value) {
  service_handle service{::OpenServiceW(manager, name, SERVICE_QUERY_CONFIG)};
  if (service.h == nullptr) {
    value["error"] = render(win::last_error("OpenServiceW " + win::narrow(name)));
    return;
  }
  DWORD needed = 0;
  ::QueryServiceConfigW(service.h, nullptr, 0, &needed);
  std::vector<unsigned char> buffer(needed + sizeof(QUERY_SERVICE_CONFIGW));
  auto* config = reinterpret_cast<QUERY_SERVICE_CONFIGW*>(buffer.data());
  if (!::QueryServiceConfigW(service.h, config, static_cast<DWORD>(buffer.size()), &needed)) {
    value["error"] = render(win::last_error("QueryServiceConfigW " + win::narrow(name)));
    return;
  }
  auto start = config->dwStartType;
  value["state"] = state_of(start);
  value["start_type"] = start == SERVICE_AUTO_START && delayed_start(service.h)
                          ? std::string_view{"delayed-auto"}
                          : start_type_name(start);
  if (config->lpBinaryPathName != nullptr && config->lpBinaryPathName[0] != L'\0')
    value["path"] = win::narrow(config->lpBinaryPathName);
  if (config->lpServiceStartName != nullptr && config->lpServiceStartName[0] != L'\0')
    value["account"] = win::narrow(config->lpServiceStartName);
}

} // namespace

caf::expected<void> collect_services(const collector_call& call) {
  service_handle manager{
    ::OpenSCManagerW(nullptr, nullptr, SC_MANAGER_CONNECT | SC_MANAGER_ENUMERATE_SERVICE)};
  if (manager.h == nullptr) {
    call.add_error("error/services/scm", win::last_error("OpenSCManagerW"));
    return {};
  }
  // Every Win32 service in as many calls as the buffer needs: ERROR_MORE_DATA
  // continues from the resume handle.
  std::vector<unsigned char> buffer(64 * 1024);
  DWORD resume = 0;
  for (;;) {
    DWORD needed = 0;
    DWORD count = 0;
    BOOL done = ::EnumServicesStatusExW(manager.h, SC_ENUM_PROCESS_INFO, SERVICE_WIN32,
                                        SERVICE_STATE_ALL, buffer.data(),
                                        static_cast<DWORD>(buffer.size()), &needed, &count,
                                        &resume, nullptr);
    auto error = done ? ERROR_SUCCESS : ::GetLastError();
    if (!done && error != ERROR_MORE_DATA) {
      call.add_error("error/services/scm", win::error_from(error, "EnumServicesStatusExW"));
      return {};
    }
    const auto* services = reinterpret_cast<const ENUM_SERVICE_STATUS_PROCESSW*>(buffer.data());
    for (DWORD i = 0; i < count; ++i) {
      const auto& s = services[i];
      nlohmann::json value{{"manager", "scm"},
                           {"status", status_name(s.ServiceStatusProcess.dwCurrentState)}};
      if (s.lpDisplayName != nullptr)
        value["display_name"] = win::narrow(s.lpDisplayName);
      add_config(manager.h, s.lpServiceName, value);
      call.add("services/" + win::narrow(s.lpServiceName), value);
      call.pace();
    }
    if (done)
      break;
    if (count == 0) // nothing fitted: make room for the next entry
      buffer.resize(std::max<size_t>(buffer.size() * 2, needed));
  }
  return {};
}

} // namespace vigil::scan::detail
