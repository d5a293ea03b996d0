// vigil-package-scripts deb DIR: writes the .deb's maintainer scripts into DIR
// (postinst, prerm, postrm, config and debconf's templates) from
// `maintainer_scripts(package_format::deb)`, for CPack
// (CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA): the build's .deb and Extract=deb's
// .deb run the same steps through the same code (installer/maintainer_scripts.cpp,
// issue 19). The .rpm's scriptlets go in by make_rpm_package (vigil-pack rpm).

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string_view>

#include "installer/maintainer_scripts.hpp"

int main(int argc, char** argv) {
  if (argc != 3 || std::string_view{argv[1]} != "deb") {
    std::fprintf(stderr, "usage: vigil-package-scripts deb DIR\n");
    return 2;
  }
  auto format = vigil::package_format::deb;
  std::filesystem::path dir{argv[2]};
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  for (auto& [name, text] : vigil::maintainer_scripts(format)) {
    auto path = dir / name;
    std::ofstream out{path, std::ios::binary | std::ios::trunc};
    out << text;
    out.close();
    if (!out) {
      std::fprintf(stderr, "vigil-package-scripts: cannot write %s\n", path.c_str());
      return 1;
    }
    // dpkg runs maintainer scripts as programs.
    std::filesystem::permissions(path, std::filesystem::perms::owner_all
                                         | std::filesystem::perms::group_read
                                         | std::filesystem::perms::group_exec
                                         | std::filesystem::perms::others_read
                                         | std::filesystem::perms::others_exec,
                                 ec);
  }
  // The .deb's debconf questions (preseeded, never asked).
  {
    auto path = dir / "templates";
    std::ofstream out{path, std::ios::binary | std::ios::trunc};
    out << vigil::debconf_templates();
    out.close();
    if (!out) {
      std::fprintf(stderr, "vigil-package-scripts: cannot write %s\n", path.c_str());
      return 1;
    }
  }
  return 0;
}
