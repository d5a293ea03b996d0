// vigil-pack STUB ARCHIVE OUT: appends a payload archive to the setup stub
// (the build's last step for vigil-setup; tests use it for other versions).

#include <iostream>

#include "common/error.hpp"
#include "host/atomic_file.hpp"
#include "installer/payload.hpp"

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: vigil-pack STUB ARCHIVE.tar OUT\n";
    return 2;
  }
  auto archive = vigil::read_whole_file(argv[2]);
  if (!archive) {
    std::cerr << "vigil-pack: " << vigil::render(archive.error()) << "\n";
    return 1;
  }
  if (auto ok = vigil::pack_payload(argv[1], *archive, argv[3]); !ok) {
    std::cerr << "vigil-pack: " << vigil::render(ok.error()) << "\n";
    return 1;
  }
  return 0;
}
