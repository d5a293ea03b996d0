// vigil-rpm-scriptlets DIR: writes the .rpm's scriptlets (DIR/pre, post,
// preun, postun) from `maintainer_scripts(package_format::rpm)`, for CPack's
// CPACK_RPM_*_SCRIPT_FILE: the .rpm and the .deb run the same steps through
// the same code (installer/maintainer_scripts.cpp, issue 19, item 2).

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "installer/maintainer_scripts.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: vigil-rpm-scriptlets DIR\n");
    return 2;
  }
  std::filesystem::path dir{argv[1]};
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  for (auto& [name, text] : vigil::maintainer_scripts(vigil::package_format::rpm)) {
    std::ofstream out{dir / name, std::ios::binary | std::ios::trunc};
    out << text;
    out.close();
    if (!out) {
      std::fprintf(stderr, "vigil-rpm-scriptlets: cannot write %s\n", (dir / name).c_str());
      return 1;
    }
  }
  return 0;
}
