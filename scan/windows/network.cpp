// The `network` collector on Windows: host name, DNS settings and interfaces,
// from GetComputerNameExW and the IP Helper API's GetAdaptersAddresses.
//
//   network/hostname          {"fqdn"?, "hostname"}
//   network/dns               {"nameservers": [...], "search": [...]}
//   network/interface/<name>  {"ipv4"?, "ipv6"?, "mac"?, "mtu" (number), "operstate",
//                              "description"?}
//   network/interfaces        {"error"}  GetAdaptersAddresses failed (as on Linux)
//
// The rows are the Linux collector's (posix/network.cpp). An interface's name
// is its friendly name as ncpa.cpl and `ipconfig` show it ("Ethernet",
// "Loopback Pseudo-Interface 1"); addresses are "address/prefix", sorted;
// "mac" is sysfs' lowercase colon form, absent when the adapter has none (the
// loopback, tunnels); "operstate" is the RFC 2863 word sysfs also uses ("up",
// "down", "dormant", "notpresent", "lowerlayerdown", "testing", "unknown").
// "fqdn" only when the DNS name has a domain, as on Linux. "nameservers" are
// the adapters' DNS servers in adapter order without repeats; "search" is the
// primary DNS suffix, then the adapters' connection-specific suffixes.
// Everything is the live system's: the scan root does not stand for the
// network stack (like the Linux collector's addresses, which come from the
// kernel only for the host's own root).

// winsock2.h before windows.h (iphlpapi.h needs both).
#include <winsock2.h>
#include <ws2tcpip.h>
#include <iphlpapi.h>
#include <windows.h>

#include <algorithm>
#include <map>
#include <set>

#include "common/error.hpp"
#include "host/windows/adapters.hpp"
#include "host/windows/wide.hpp"
#include "scan/collectors/collectors.hpp"

namespace vigil::scan::detail {

namespace {

std::string computer_name(COMPUTER_NAME_FORMAT format) {
  DWORD size = 0;
  ::GetComputerNameExW(format, nullptr, &size);
  if (size == 0)
    return {};
  std::wstring name(size, L'\0');
  if (!::GetComputerNameExW(format, name.data(), &size))
    return {};
  name.resize(size);
  return win::narrow(name);
}

std::string_view operstate(IF_OPER_STATUS status) noexcept {
  switch (status) {
    case IfOperStatusUp: return "up";
    case IfOperStatusDown: return "down";
    case IfOperStatusTesting: return "testing";
    case IfOperStatusDormant: return "dormant";
    case IfOperStatusNotPresent: return "notpresent";
    case IfOperStatusLowerLayerDown: return "lowerlayerdown";
    default: return "unknown";
  }
}

/// GetAdaptersAddresses' list in `buffer`: its first adapter, nullptr for
/// none, or the call's error.
caf::expected<const IP_ADAPTER_ADDRESSES*> adapters(std::vector<unsigned char>& buffer) {
  if (auto got = win::get_adapter_addresses(GAA_FLAG_SKIP_ANYCAST | GAA_FLAG_SKIP_MULTICAST, buffer);
      !got)
    return got.error();
  if (buffer.empty())
    return nullptr;
  return reinterpret_cast<const IP_ADAPTER_ADDRESSES*>(buffer.data());
}

void collect_hostname(const collector_call& call) {
  nlohmann::json value{{"hostname", computer_name(ComputerNameDnsHostname)}};
  if (auto fqdn = computer_name(ComputerNameDnsFullyQualified);
      fqdn.find('.') != std::string::npos)
    value["fqdn"] = fqdn;
  call.add("network/hostname", value);
}

/// Appends `item` to the array `list` unless it holds it already.
void add_once(nlohmann::json& list, const std::string& item) {
  if (!item.empty() && std::find(list.begin(), list.end(), item) == list.end())
    list.push_back(item);
}

void collect_dns(const collector_call& call, const IP_ADAPTER_ADDRESSES* list) {
  auto nameservers = nlohmann::json::array();
  auto search = nlohmann::json::array();
  add_once(search, computer_name(ComputerNameDnsDomain));
  for (auto* a = list; a != nullptr; a = a->Next) {
    for (auto* d = a->FirstDnsServerAddress; d != nullptr; d = d->Next)
      add_once(nameservers, win::address_text(d->Address.lpSockaddr));
    if (a->DnsSuffix != nullptr)
      add_once(search, win::narrow(a->DnsSuffix));
  }
  call.add("network/dns", {{"nameservers", nameservers}, {"search", search}});
}

void collect_interface(const collector_call& call, const IP_ADAPTER_ADDRESSES& a) {
  std::string name = a.FriendlyName != nullptr && a.FriendlyName[0] != L'\0'
                       ? win::narrow(a.FriendlyName)
                       : std::string{a.AdapterName};
  nlohmann::json value{{"operstate", operstate(a.OperStatus)}, {"mtu", a.Mtu}};
  bool all_zero = std::all_of(a.PhysicalAddress, a.PhysicalAddress + a.PhysicalAddressLength,
                              [](BYTE b) { return b == 0; });
  if (a.PhysicalAddressLength != 0 && !all_zero)
    value["mac"] = win::mac_text(a.PhysicalAddress, a.PhysicalAddressLength);
  std::map<std::string, std::set<std::string>> addresses; // "ipv4"/"ipv6" -> sorted
  for (auto* u = a.FirstUnicastAddress; u != nullptr; u = u->Next) {
    auto text = win::address_text(u->Address.lpSockaddr);
    if (text.empty())
      continue;
    bool v4 = u->Address.lpSockaddr->sa_family == AF_INET;
    addresses[v4 ? "ipv4" : "ipv6"].insert(text + "/" + std::to_string(u->OnLinkPrefixLength));
  }
  for (const auto& [family, set] : addresses)
    value[family] = set;
  if (a.Description != nullptr && a.Description[0] != L'\0')
    value["description"] = win::narrow(a.Description);
  call.add("network/interface/" + name, value);
}

} // namespace

caf::expected<void> collect_network(const collector_call& call) {
  collect_hostname(call);
  std::vector<unsigned char> buffer;
  auto list = adapters(buffer);
  if (!list) {
    call.add_error("network/interfaces", list.error());
    return {};
  }
  collect_dns(call, *list);
  for (auto* a = *list; a != nullptr; a = a->Next) {
    collect_interface(call, *a);
    call.pace();
  }
  return {};
}

} // namespace vigil::scan::detail
