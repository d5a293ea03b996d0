#include "tests/host/windows/temp_mount.hpp"

#include <atomic>
#include <random>
#include <windows.h>

namespace vigil::test {

namespace {

/// Process id, a counter and a random number: unique across cases and runs.
std::string unique_name() {
  static std::atomic<unsigned> counter{0};
  static const unsigned seed = std::random_device{}();
  return std::to_string(::GetCurrentProcessId()) + "-" + std::to_string(counter++) + "-"
         + std::to_string(seed);
}

} // namespace

temp_mount::temp_mount() : mount_{registry_mount::user("Software\\VigilTests\\" + unique_name())} {
}

temp_mount::~temp_mount() {
  auto subkey = std::wstring{mount_.subkey.begin(), mount_.subkey.end()}; // ASCII
  ::RegDeleteTreeW(HKEY_CURRENT_USER, subkey.c_str());
  ::RegDeleteKeyExW(HKEY_CURRENT_USER, subkey.c_str(), KEY_WOW64_64KEY, 0);
}

} // namespace vigil::test
