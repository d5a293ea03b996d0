#include "tests/support/temp_dir.hpp"

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>

namespace fs = std::filesystem;

namespace vigil::test {

bool keep_for_diagnosis(const fs::path& dir) {
  const char* keep = std::getenv("VIGIL_TEST_KEEP_DIRS");
  if (keep == nullptr || *keep == '\0')
    return false;
  std::cerr << "VIGIL_TEST_KEEP_DIRS: kept " << dir.string() << '\n';
  return true;
}

std::string read_file(const fs::path& file) {
  std::ifstream in{file, std::ios::binary};
  return {std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
}

void write_file(const fs::path& file, const std::string& bytes) {
  fs::create_directories(file.parent_path());
  std::ofstream out{file, std::ios::binary | std::ios::trunc};
  out << bytes;
}

} // namespace vigil::test
