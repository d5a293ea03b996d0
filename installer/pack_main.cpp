// vigil-pack STUB ARCHIVE OUT: appends a payload archive to the setup stub
// (the build's last step for vigil-setup; tests use it for other versions).
// vigil-pack rpm ARCHIVE OUT: the .rpm made from that payload
// (`make_rpm_package`, the code `vigil-platform package --type rpm` runs).

#include <iostream>
#include <string_view>

#include "common/error.hpp"
#include "host/atomic_file.hpp"
#include "installer/payload.hpp"
#include "installer/rpm_package.hpp"

namespace {

int failed(const caf::error& error) {
  std::cerr << "vigil-pack: " << vigil::render(error) << "\n";
  return 1;
}

} // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: vigil-pack STUB ARCHIVE.tar OUT\n"
                 "       vigil-pack rpm ARCHIVE.tar OUT.rpm\n";
    return 2;
  }
  auto archive = vigil::read_whole_file(argv[2]);
  if (!archive)
    return failed(archive.error());
  if (std::string_view{argv[1]} == "rpm") {
    auto rpm = vigil::make_rpm_package(*archive);
    if (!rpm)
      return failed(rpm.error());
    if (auto ok = vigil::write_file_atomically(argv[3], *rpm, 0644); !ok)
      return failed(ok.error());
    return 0;
  }
  if (auto ok = vigil::pack_payload(argv[1], *archive, argv[3]); !ok)
    return failed(ok.error());
  return 0;
}
