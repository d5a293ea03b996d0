// The machine's identity on Linux: machine-id, NIC addresses under sysfs, the
// host name (fingerprint.hpp).
#include "host/fingerprint.hpp"

#include <algorithm>
#include <fstream>
#include <sys/utsname.h>

namespace fs = std::filesystem;

namespace vigil {

namespace {

std::string first_line(const fs::path& file) {
  std::ifstream in{file};
  std::string line;
  std::getline(in, line);
  while (!line.empty() && (line.back() == ' ' || line.back() == '\r' || line.back() == '\t'))
    line.pop_back();
  return line;
}

} // namespace

machine_identity read_machine_identity(const paths& p) {
  machine_identity id;
  id.machine_id = first_line(p.machine_id_file());
  std::error_code ignored;
  auto net = p.root() / "sys/class/net";
  for (auto it = fs::directory_iterator(net, ignored); it != fs::directory_iterator();
       it.increment(ignored)) {
    if (it->path().filename() == "lo")
      continue;
    auto mac = first_line(it->path() / "address");
    if (!mac.empty() && mac != "00:00:00:00:00:00")
      id.macs.push_back(mac);
  }
  std::sort(id.macs.begin(), id.macs.end());
  id.hostname = first_line(p.root() / "etc/hostname");
  if (id.hostname.empty()) {
    utsname u{};
    if (::uname(&u) == 0)
      id.hostname = u.nodename;
  }
  return id;
}

} // namespace vigil
