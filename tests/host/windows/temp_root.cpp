#include "tests/host/windows/temp_root.hpp"

#include <atomic>
#include <fstream>
#include <iterator>
#include <random>
#include <windows.h>

namespace fs = std::filesystem;

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

temp_root::temp_root() : path_{fs::temp_directory_path() / ("vigil-test-" + unique_name())} {
  fs::create_directories(path_);
}

temp_root::~temp_root() {
  std::error_code ignored;
  fs::remove_all(path_, ignored);
}

temp_mount::temp_mount() : mount_{registry_mount::user("Software\\VigilTests\\" + unique_name())} {
}

temp_mount::~temp_mount() {
  auto subkey = std::wstring{mount_.subkey.begin(), mount_.subkey.end()}; // ASCII
  ::RegDeleteTreeW(HKEY_CURRENT_USER, subkey.c_str());
  ::RegDeleteKeyExW(HKEY_CURRENT_USER, subkey.c_str(), KEY_WOW64_64KEY, 0);
}

void write_bytes(const fs::path& file, const std::string& bytes) {
  fs::create_directories(file.parent_path());
  std::ofstream out{file, std::ios::binary | std::ios::trunc};
  out << bytes;
}

std::string read_bytes(const fs::path& file) {
  std::ifstream in{file, std::ios::binary};
  return {std::istreambuf_iterator<char>{in}, {}};
}

} // namespace vigil::test
