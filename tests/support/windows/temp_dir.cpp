// tests/support/temp_dir.hpp's folder on Windows: a fresh folder under %TEMP%
// named by the process id, a counter and a random number, so no two cases (nor
// two runs) share one.
#include "tests/support/temp_dir.hpp"

#include <atomic>
#include <random>
#include <stdexcept>
#include <system_error>

#include <windows.h>

namespace fs = std::filesystem;

namespace vigil::test {

temp_dir::temp_dir() {
  static std::atomic<unsigned> counter{0};
  static const unsigned seed = std::random_device{}();
  path_ = fs::temp_directory_path()
          / ("vigil-test-" + std::to_string(::GetCurrentProcessId()) + "-"
             + std::to_string(counter++) + "-" + std::to_string(seed));
  std::error_code err;
  if (!fs::create_directory(path_, err) || err)
    throw std::runtime_error("creating " + path_.string() + " failed: " + err.message());
}

temp_dir::~temp_dir() {
  if (keep_for_diagnosis(path_))
    return;
  std::error_code ignored;
  // A test may have made files read-only; Windows refuses to delete those.
  for (auto it = fs::recursive_directory_iterator(path_, ignored);
       it != fs::recursive_directory_iterator(); it.increment(ignored))
    fs::permissions(it->path(), fs::perms::owner_write, fs::perm_options::add, ignored);
  fs::remove_all(path_, ignored);
}

} // namespace vigil::test
