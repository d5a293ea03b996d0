#include "host/inventory.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <fstream>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/utsname.h>

namespace vigil {

namespace {

/// A value of os-release, unquoted.
std::string os_release_value(const std::filesystem::path& file, std::string_view key) {
  std::ifstream in{file};
  std::string line;
  while (std::getline(in, line)) {
    if (line.size() <= key.size() || line.compare(0, key.size(), key) != 0
        || line[key.size()] != '=')
      continue;
    auto value = line.substr(key.size() + 1);
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'')
        && value.back() == value.front())
      value = value.substr(1, value.size() - 2);
    return value;
  }
  return {};
}

} // namespace

basic_inventory read_basic_inventory(const paths& p, const machine_identity& identity) {
  basic_inventory inv;
  inv.hostname = identity.hostname;
  inv.macs = identity.macs;
  auto os_release = p.root() / "etc/os-release";
  if (!std::filesystem::exists(os_release))
    os_release = p.root() / "usr/lib/os-release";
  inv.os_name = os_release_value(os_release, "NAME");
  inv.os_version = os_release_value(os_release, "VERSION_ID");
  utsname u{};
  if (::uname(&u) == 0) {
    inv.kernel = u.release;
    inv.arch = u.machine;
  }
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) == 0) {
    for (auto* a = list; a != nullptr; a = a->ifa_next) {
      if (a->ifa_addr == nullptr || (a->ifa_flags & IFF_LOOPBACK))
        continue;
      char text[INET6_ADDRSTRLEN] = {};
      if (a->ifa_addr->sa_family == AF_INET) {
        ::inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(a->ifa_addr)->sin_addr, text,
                    sizeof(text));
        inv.ipv4.emplace_back(text);
      } else if (a->ifa_addr->sa_family == AF_INET6) {
        ::inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(a->ifa_addr)->sin6_addr, text,
                    sizeof(text));
        inv.ipv6.emplace_back(text);
      }
    }
    ::freeifaddrs(list);
  }
  std::sort(inv.ipv4.begin(), inv.ipv4.end());
  std::sort(inv.ipv6.begin(), inv.ipv6.end());
  return inv;
}

} // namespace vigil
