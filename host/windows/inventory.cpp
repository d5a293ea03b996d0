// The basic inventory on Windows (inventory.hpp): the version from
// RtlGetVersion (GetVersionEx lies to programs without a compatibility
// manifest), the architecture from GetNativeSystemInfo, the addresses from
// GetAdaptersAddresses.
#include "host/inventory.hpp"

#include <algorithm>
#include <windows.h>

#include "host/windows/adapters.hpp"
#include "host/windows/wide.hpp"

namespace vigil {

namespace {

using rtl_get_version = LONG(WINAPI*)(OSVERSIONINFOEXW*);

/// RtlGetVersion, looked up in ntdll at run time: its import library entry
/// is not in every mingw-w64.
bool os_version(OSVERSIONINFOEXW& info) {
  info = {};
  info.dwOSVersionInfoSize = sizeof(info);
  auto ntdll = ::GetModuleHandleW(L"ntdll.dll");
  auto fn = ntdll ? reinterpret_cast<rtl_get_version>(
                      reinterpret_cast<void*>(::GetProcAddress(ntdll, "RtlGetVersion")))
                  : nullptr;
  return fn && fn(&info) == 0;
}

std::string arch_name(WORD arch) {
  switch (arch) {
    case PROCESSOR_ARCHITECTURE_AMD64: return "x86_64";
    case PROCESSOR_ARCHITECTURE_ARM64: return "aarch64";
    case PROCESSOR_ARCHITECTURE_INTEL: return "x86";
    default: return "unknown";
  }
}

std::string fqdn() {
  wchar_t name[512] = {};
  DWORD size = 511;
  if (!::GetComputerNameExW(ComputerNameDnsFullyQualified, name, &size))
    return {};
  return win::narrow({name, size});
}

} // namespace

basic_inventory read_basic_inventory(const paths&, const machine_identity& identity) {
  basic_inventory inv;
  inv.hostname = identity.hostname;
  inv.fqdn = fqdn();
  inv.macs = identity.macs;
  OSVERSIONINFOEXW info;
  if (os_version(info)) {
    // Windows 11 still reports major 10; its builds start at 22000.
    bool server = info.wProductType != VER_NT_WORKSTATION;
    std::string name = "Windows";
    if (info.dwMajorVersion == 10)
      name += server ? " Server" : (info.dwBuildNumber >= 22000 ? " 11" : " 10");
    inv.os_name = name;
    inv.os_version = std::to_string(info.dwMajorVersion) + "." + std::to_string(info.dwMinorVersion)
                     + "." + std::to_string(info.dwBuildNumber);
    inv.kernel = "NT " + inv.os_version;
  }
  SYSTEM_INFO system{};
  ::GetNativeSystemInfo(&system);
  inv.arch = arch_name(system.wProcessorArchitecture);
  for (auto& a : win::list_adapters()) {
    inv.ipv4.insert(inv.ipv4.end(), a.ipv4.begin(), a.ipv4.end());
    inv.ipv6.insert(inv.ipv6.end(), a.ipv6.begin(), a.ipv6.end());
  }
  std::sort(inv.ipv4.begin(), inv.ipv4.end());
  std::sort(inv.ipv6.begin(), inv.ipv6.end());
  return inv;
}

} // namespace vigil
