// vigil-unit-text OUT: writes the agent's systemd unit for the real root (/)
// to OUT. The build runs it to make the package's
// lib/systemd/system/vigil-agent.service, so the unit has one source,
// `systemd_unit_text` (host/service_manager), the same text vigil-setup
// writes to /etc/systemd/system (issue 16, item 10).

#include <cstdio>
#include <fstream>

#include "host/paths.hpp"
#include "host/systemd_service.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: vigil-unit-text OUT\n");
    return 2;
  }
  auto text = vigil::systemd_unit_text(vigil::paths{"/"});
  std::ofstream out{argv[1], std::ios::binary | std::ios::trunc};
  out << text;
  out.close();
  if (!out) {
    std::fprintf(stderr, "vigil-unit-text: cannot write %s\n", argv[1]);
    return 1;
  }
  return 0;
}
