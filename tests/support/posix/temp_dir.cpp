// tests/support/temp_dir.hpp's folder on POSIX: mkdtemp under the temporary
// directory.
#include "tests/support/temp_dir.hpp"

#include <cstdlib>
#include <stdexcept>
#include <system_error>

namespace fs = std::filesystem;

namespace vigil::test {

temp_dir::temp_dir() {
  std::string pattern = (fs::temp_directory_path() / "vigil-test-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr)
    throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

temp_dir::~temp_dir() {
  if (keep_for_diagnosis(path_))
    return;
  std::error_code ignored;
  // A test may have made parts read-only; give write access back first.
  for (auto it = fs::recursive_directory_iterator(path_, ignored);
       it != fs::recursive_directory_iterator(); it.increment(ignored))
    if (it->is_directory(ignored))
      fs::permissions(it->path(), fs::perms::owner_all, fs::perm_options::add, ignored);
  fs::remove_all(path_, ignored);
}

} // namespace vigil::test
