// Checks 3 and 4 on Windows (host_facts.hpp): processes through the process
// API and a Toolhelp snapshot, the trust store as crypt32's ROOT store.
#include "tools/healthcheck/host_facts.hpp"

#include <windows.h>

#include <psapi.h>
#include <tlhelp32.h>
#include <wincrypt.h>

#include <cwchar>

namespace vigil::health {

namespace {

/// A process handle closed on scope exit.
struct process_handle {
  HANDLE h;
  explicit process_handle(int pid)
    : h{::OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, static_cast<DWORD>(pid))} {}
  ~process_handle() {
    if (h)
      ::CloseHandle(h);
  }
  process_handle(const process_handle&) = delete;
  process_handle& operator=(const process_handle&) = delete;
};

bool names_agent(const wchar_t* image) {
  return std::wcsstr(image, L"vigil-agent") != nullptr;
}

int64_t filetime_ms(const FILETIME& t) {
  ULARGE_INTEGER v;
  v.LowPart = t.dwLowDateTime;
  v.HighPart = t.dwHighDateTime;
  return static_cast<int64_t>(v.QuadPart / 10000); // 100 ns units
}

} // namespace

bool runs_vigil_agent(int pid) {
  if (pid <= 0)
    return false;
  process_handle p{pid};
  DWORD code = 0;
  if (!p.h || !::GetExitCodeProcess(p.h, &code) || code != STILL_ACTIVE)
    return false;
  wchar_t image[MAX_PATH * 2];
  DWORD size = static_cast<DWORD>(std::size(image));
  return ::QueryFullProcessImageNameW(p.h, 0, image, &size) && names_agent(image);
}

std::optional<process_fact> read_process(int pid, std::string role) {
  process_handle p{pid};
  if (!p.h)
    return std::nullopt;
  FILETIME created, exited, kernel, user;
  PROCESS_MEMORY_COUNTERS memory{};
  if (!::GetProcessTimes(p.h, &created, &exited, &kernel, &user)
      || !::GetProcessMemoryInfo(p.h, &memory, sizeof memory))
    return std::nullopt;
  process_fact out;
  out.pid = pid;
  out.role = std::move(role);
  out.cpu_ms = filetime_ms(kernel) + filetime_ms(user);
  out.rss_mb = static_cast<int64_t>(memory.WorkingSetSize / (1024 * 1024));
  out.peak_rss_mb = static_cast<int64_t>(memory.PeakWorkingSetSize / (1024 * 1024));
  return out;
}

std::vector<int> agent_children(int parent) {
  std::vector<int> out;
  HANDLE snapshot = ::CreateToolhelp32Snapshot(TH32CS_SNAPPROCESS, 0);
  if (snapshot == INVALID_HANDLE_VALUE)
    return out;
  PROCESSENTRY32W entry{};
  entry.dwSize = sizeof entry;
  for (bool more = ::Process32FirstW(snapshot, &entry); more;
       more = ::Process32NextW(snapshot, &entry))
    if (static_cast<int>(entry.th32ParentProcessID) == parent && names_agent(entry.szExeFile))
      out.push_back(static_cast<int>(entry.th32ProcessID));
  ::CloseHandle(snapshot);
  return out;
}

int service_main_pid(const paths&, const std::string& kind) {
  if (kind != "windows-service")
    return 0;
  SC_HANDLE manager = ::OpenSCManagerW(nullptr, nullptr, SC_MANAGER_CONNECT);
  if (!manager)
    return 0;
  int pid = 0;
  if (SC_HANDLE service = ::OpenServiceW(manager, L"VigilAgent", SERVICE_QUERY_STATUS)) {
    SERVICE_STATUS_PROCESS status{};
    DWORD needed = 0;
    if (::QueryServiceStatusEx(service, SC_STATUS_PROCESS_INFO, reinterpret_cast<BYTE*>(&status),
                               sizeof status, &needed))
      pid = static_cast<int>(status.dwProcessId);
    ::CloseServiceHandle(service);
  }
  ::CloseServiceHandle(manager);
  return pid;
}

certificate_fact system_trust_fact() {
  certificate_fact c;
  c.name = "System trust store (ROOT)";
  c.path = "Cert:\\LocalMachine\\Root";
  HCERTSTORE store = ::CertOpenSystemStoreW(0, L"ROOT");
  if (!store) {
    c.error = {static_cast<int>(::GetLastError()), "system_error",
               "the ROOT certificate store cannot be opened"};
    return c;
  }
  for (PCCERT_CONTEXT cert = nullptr; (cert = ::CertEnumCertificatesInStore(store, cert));)
    ++c.certificates;
  ::CertCloseStore(store, 0);
  c.installed = c.certificates > 0;
  return c;
}

} // namespace vigil::health
