// The `os` collector on Windows: the product from the registry, the running
// kernel from RtlGetVersion (GetVersionEx would report the version this
// program's manifest claims, not the system's) and, on request, uptime.
//
//   os/release  {"ID": "windows", "NAME", "VERSION_ID", "EDITION_ID"}   from
//               HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion: ProductName,
//               DisplayVersion (else ReleaseId), EditionID, each when present
//   os/kernel   {"arch", "release": "10.0.19045", "version": "build 19045"}
//   os/uptime   {"seconds": N}                    (only with "uptime": true)
//
// No os/boot row: Windows gives the boot time only as now minus the tick
// count, which moves by a second between scans and would change the row in
// every delta.

#include <windows.h>

#include "common/error.hpp"
#include "host/windows/wide.hpp"
#include "scan/collectors/collectors.hpp"

namespace vigil::scan::detail {

namespace {

constexpr std::string_view current_version
  = "HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion";

void collect_release(const collector_call& call) {
  auto loaded = load_registry(call.ctx, std::string{current_version});
  if (!loaded) {
    call.add_error("os/release", loaded.error());
    return;
  }
  nlohmann::json value{{"ID", "windows"}};
  auto text = [&](std::string_view name) -> std::optional<std::string> {
    if (const auto* v = loaded->get(current_version, name))
      return v->as_string();
    return std::nullopt;
  };
  if (auto name = text("ProductName"))
    value["NAME"] = *name;
  if (auto version = text("DisplayVersion"); version || (version = text("ReleaseId")))
    value["VERSION_ID"] = *version;
  if (auto edition = text("EditionID"))
    value["EDITION_ID"] = *edition;
  call.add("os/release", value);
}

std::string_view arch_name(WORD architecture) noexcept {
  switch (architecture) {
    case PROCESSOR_ARCHITECTURE_AMD64: return "x86_64";
    case PROCESSOR_ARCHITECTURE_ARM64: return "aarch64";
    case PROCESSOR_ARCHITECTURE_INTEL: return "i686";
    case PROCESSOR_ARCHITECTURE_ARM: return "arm";
    default: return "unknown";
  }
}

void collect_kernel(const collector_call& call) {
  using rtl_get_version = LONG(WINAPI*)(OSVERSIONINFOW*);
  auto fn = reinterpret_cast<rtl_get_version>(
    reinterpret_cast<void*>(::GetProcAddress(::GetModuleHandleW(L"ntdll.dll"), "RtlGetVersion")));
  OSVERSIONINFOW v{};
  v.dwOSVersionInfoSize = sizeof(v);
  if (fn == nullptr || fn(&v) != 0) {
    call.add_error("os/kernel", make_error(ec::io_error, "RtlGetVersion failed"));
    return;
  }
  SYSTEM_INFO si{};
  ::GetNativeSystemInfo(&si);
  auto release = std::to_string(v.dwMajorVersion) + "." + std::to_string(v.dwMinorVersion) + "."
                 + std::to_string(v.dwBuildNumber);
  auto version = "build " + std::to_string(v.dwBuildNumber);
  if (v.szCSDVersion[0] != L'\0')
    version += " " + win::narrow(v.szCSDVersion);
  call.add("os/kernel", {{"arch", arch_name(si.wProcessorArchitecture)},
                         {"release", release},
                         {"version", version}});
}

} // namespace

caf::expected<void> collect_os(const collector_call& call) {
  auto uptime = spec_bool(call.spec, "uptime", false);
  if (!uptime)
    return uptime.error();
  collect_release(call);
  collect_kernel(call);
  if (*uptime)
    call.add("os/uptime", {{"seconds", ::GetTickCount64() / 1000}});
  return {};
}

} // namespace vigil::scan::detail
