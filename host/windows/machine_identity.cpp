// The machine's identity on Windows (fingerprint.hpp): MachineGuid, which
// setup writes once per installation of Windows and sysprep regenerates for a
// cloned image; the adapters' MACs; the computer's DNS host name.
#include "host/fingerprint.hpp"

#include <algorithm>
#include <windows.h>

#include "host/windows/adapters.hpp"
#include "host/windows/wide.hpp"

namespace vigil {

namespace {

/// HKLM\SOFTWARE\Microsoft\Cryptography\MachineGuid in the 64-bit view (a
/// 32-bit view would read the WOW64 copy, if any); empty when absent.
std::string machine_guid() {
  wchar_t value[128] = {};
  DWORD size = sizeof(value) - sizeof(wchar_t);
  if (::RegGetValueW(HKEY_LOCAL_MACHINE, L"SOFTWARE\\Microsoft\\Cryptography", L"MachineGuid",
                     RRF_RT_REG_SZ | RRF_SUBKEY_WOW6464KEY, nullptr, value, &size)
      != ERROR_SUCCESS)
    return {};
  return win::narrow(value);
}

std::string host_name() {
  wchar_t name[256] = {};
  DWORD size = 255;
  if (!::GetComputerNameExW(ComputerNameDnsHostname, name, &size))
    return {};
  return win::narrow({name, size});
}

} // namespace

// The root does not apply: none of these is a file (paths.hpp, test roots
// only relocate files).
machine_identity read_machine_identity(const paths&) {
  machine_identity id;
  id.machine_id = machine_guid();
  for (auto& a : win::list_adapters())
    if (!a.mac.empty())
      id.macs.push_back(a.mac);
  std::sort(id.macs.begin(), id.macs.end());
  id.macs.erase(std::unique(id.macs.begin(), id.macs.end()), id.macs.end());
  id.hostname = host_name();
  return id;
}

} // namespace vigil
