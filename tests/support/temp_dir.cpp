#include "tests/support/temp_dir.hpp"

#include <fstream>
#include <iterator>

namespace fs = std::filesystem;

namespace vigil::test {

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
