// The `network` collector: host name, DNS settings and interfaces.
//
//   network/hostname          {"fqdn"?, "hostname"}        (<root>/etc/hostname, /etc/hosts)
//   network/dns               {"nameservers": [...], "search": [...]}  (<root>/etc/resolv.conf)
//   network/interface/<name>  {"ipv4"?, "ipv6"?, "mac", "mtu" (number), "operstate"}
//
// Interfaces come from <root>/sys/class/net; their addresses ("10.0.0.5/24",
// sorted) are added from getifaddrs only when the root is "/", since the
// kernel's addresses describe no other tree.

#include <algorithm>
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <map>
#include <netinet/in.h>
#include <set>

#include "common/error.hpp"
#include "scan/collectors/collectors.hpp"

namespace vigil::scan::detail {

namespace {

constexpr size_t small_file_cap = 64 * 1024;

/// The words of `line` separated by blanks.
std::vector<std::string_view> words(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size()) {
    auto start = line.find_first_not_of(" \t", i);
    if (start == std::string_view::npos)
      break;
    auto end = line.find_first_of(" \t", start);
    if (end == std::string_view::npos)
      end = line.size();
    out.push_back(line.substr(start, end - start));
    i = end;
  }
  return out;
}

/// The names of /etc/hosts lines, comments removed.
std::vector<std::vector<std::string_view>> hosts_lines(std::string_view text) {
  std::vector<std::vector<std::string_view>> out;
  for (auto line : lines_of(text)) {
    line = line.substr(0, line.find('#'));
    auto w = words(line);
    if (w.size() >= 2)
      out.emplace_back(w.begin() + 1, w.end());
  }
  return out;
}

void collect_hostname(const collector_call& call) {
  auto text = call.fs.read_file("/etc/hostname", small_file_cap);
  if (!text) {
    if (code_of(text.error()) != ec::not_found)
      call.add_error("network/hostname", text.error());
    return;
  }
  std::string hostname;
  for (auto line : lines_of(*text)) {
    line = trim(line.substr(0, line.find('#')));
    if (!line.empty()) {
      hostname = line;
      break;
    }
  }
  nlohmann::json value{{"hostname", hostname}};
  // The FQDN as the resolver's files give it: a dotted name itself, else the
  // canonical (first) name of the hosts line that lists the short name.
  if (hostname.find('.') != std::string::npos) {
    value["fqdn"] = hostname;
  } else if (auto hosts = call.fs.read_file("/etc/hosts", 1024 * 1024)) {
    for (const auto& names : hosts_lines(*hosts)) {
      if (std::find(names.begin(), names.end(), hostname) != names.end()
          && names.front().find('.') != std::string_view::npos) {
        value["fqdn"] = names.front();
        break;
      }
    }
  }
  call.add("network/hostname", value);
}

void collect_dns(const collector_call& call) {
  auto text = call.fs.read_file("/etc/resolv.conf", small_file_cap);
  if (!text) {
    if (code_of(text.error()) != ec::not_found)
      call.add_error("network/dns", text.error());
    return;
  }
  // Order matters to the resolver, so both lists keep file order.
  auto nameservers = nlohmann::json::array();
  auto search = nlohmann::json::array();
  for (auto line : lines_of(*text)) {
    auto w = words(line.substr(0, line.find_first_of("#;")));
    if (w.size() >= 2 && w[0] == "nameserver")
      nameservers.push_back(w[1]);
    else if (w.size() >= 2 && (w[0] == "search" || w[0] == "domain")) {
      search = nlohmann::json::array(); // the last search/domain line wins
      for (size_t i = 1; i < w.size(); ++i)
        search.push_back(w[i]);
    }
  }
  call.add("network/dns", {{"nameservers", nameservers}, {"search", search}});
}

/// The prefix length of a netmask.
int prefix_length(const sockaddr* mask, int family) {
  if (mask == nullptr)
    return family == AF_INET ? 32 : 128;
  const unsigned char* bytes = nullptr;
  size_t size = 0;
  if (family == AF_INET) {
    bytes = reinterpret_cast<const unsigned char*>(
      &reinterpret_cast<const sockaddr_in*>(mask)->sin_addr);
    size = 4;
  } else {
    bytes = reinterpret_cast<const unsigned char*>(
      &reinterpret_cast<const sockaddr_in6*>(mask)->sin6_addr);
    size = 16;
  }
  int bits = 0;
  for (size_t i = 0; i < size; ++i)
    bits += __builtin_popcount(bytes[i]);
  return bits;
}

/// Interface name -> family ("ipv4"/"ipv6") -> sorted "address/prefix".
using address_map = std::map<std::string, std::map<std::string, std::set<std::string>>>;

address_map host_addresses() {
  address_map out;
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0)
    return out;
  for (auto* a = list; a != nullptr; a = a->ifa_next) {
    if (a->ifa_addr == nullptr)
      continue;
    int family = a->ifa_addr->sa_family;
    if (family != AF_INET && family != AF_INET6)
      continue;
    char text[INET6_ADDRSTRLEN] = {};
    const void* addr = family == AF_INET
                         ? static_cast<const void*>(
                           &reinterpret_cast<const sockaddr_in*>(a->ifa_addr)->sin_addr)
                         : static_cast<const void*>(
                           &reinterpret_cast<const sockaddr_in6*>(a->ifa_addr)->sin6_addr);
    ::inet_ntop(family, addr, text, sizeof(text));
    // "eth0:1" aliases belong to eth0.
    std::string name{a->ifa_name};
    name = name.substr(0, name.find(':'));
    out[name][family == AF_INET ? "ipv4" : "ipv6"].insert(
      std::string{text} + "/" + std::to_string(prefix_length(a->ifa_netmask, family)));
  }
  ::freeifaddrs(list);
  return out;
}

void collect_interfaces(const collector_call& call) {
  constexpr std::string_view net_dir = "/sys/class/net";
  auto names = call.fs.list_dir(net_dir);
  if (!names) {
    call.add_error("network/interfaces", names.error());
    return;
  }
  auto addresses = call.fs.is_host_root() ? host_addresses() : address_map{};
  for (const auto& name : *names) {
    auto dir = join_path(net_dir, name);
    auto attribute = [&](std::string_view file) -> std::optional<std::string> {
      auto text = call.fs.read_file(join_path(dir, file), small_file_cap);
      if (!text)
        return std::nullopt;
      return std::string{trim(*text)};
    };
    auto value = nlohmann::json::object();
    if (auto mac = attribute("address"))
      value["mac"] = *mac;
    if (auto state = attribute("operstate"))
      value["operstate"] = *state;
    if (auto mtu = attribute("mtu"); mtu && !mtu->empty()
                                     && mtu->find_first_not_of("0123456789") == std::string::npos)
      value["mtu"] = std::stoull(*mtu);
    if (auto it = addresses.find(name); it != addresses.end())
      for (const auto& [family, list] : it->second)
        value[family] = list;
    call.add("network/interface/" + name, value);
    call.pace();
  }
}

} // namespace

caf::expected<void> collect_network(const collector_call& call) {
  collect_hostname(call);
  collect_dns(call);
  collect_interfaces(call);
  return {};
}

} // namespace vigil::scan::detail
