// The machine as the PAC helpers see it: DNS, the local addresses, the clock
// (declared in pac_engine.hpp), and the hosts-file resolver tests use instead
// of DNS.
#include <algorithm>
#include <arpa/inet.h>
#include <cctype>
#include <fstream>
#include <ifaddrs.h>
#include <net/if.h>
#include <netdb.h>
#include <sstream>
#include <unordered_map>

#include "common/error.hpp"
#include "net/pac/engine.hpp"

namespace vigil {

namespace {

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

/// The canonical text of an IP literal, or empty when `text` is not one.
std::string ip_literal(const std::string& text) {
  unsigned char bytes[16];
  char buffer[INET6_ADDRSTRLEN];
  if (inet_pton(AF_INET, text.c_str(), bytes) == 1)
    return inet_ntop(AF_INET, bytes, buffer, sizeof(buffer));
  if (inet_pton(AF_INET6, text.c_str(), bytes) == 1)
    return inet_ntop(AF_INET6, bytes, buffer, sizeof(buffer));
  return {};
}

std::string address_text(const sockaddr* address) {
  char buffer[INET6_ADDRSTRLEN] = "";
  if (address->sa_family == AF_INET)
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(address)->sin_addr, buffer,
              sizeof(buffer));
  else if (address->sa_family == AF_INET6)
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(address)->sin6_addr, buffer,
              sizeof(buffer));
  return buffer;
}

std::vector<std::string> resolve_with_dns(const std::string& host) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  std::vector<std::string> out;
  if (::getaddrinfo(host.c_str(), nullptr, &hints, &found) != 0)
    return out;
  for (auto* entry = found; entry != nullptr; entry = entry->ai_next) {
    auto text = address_text(entry->ai_addr);
    if (!text.empty() && std::find(out.begin(), out.end(), text) == out.end())
      out.push_back(std::move(text));
  }
  ::freeaddrinfo(found);
  return out;
}

std::vector<std::string> interface_addresses() {
  ifaddrs* list = nullptr;
  std::vector<std::string> v4, v6;
  if (::getifaddrs(&list) != 0)
    return v4;
  for (auto* entry = list; entry != nullptr; entry = entry->ifa_next) {
    if (entry->ifa_addr == nullptr || (entry->ifa_flags & IFF_UP) == 0
        || (entry->ifa_flags & IFF_LOOPBACK) != 0)
      continue;
    if (entry->ifa_addr->sa_family == AF_INET6) {
      auto* six = reinterpret_cast<const sockaddr_in6*>(entry->ifa_addr);
      if (IN6_IS_ADDR_LINKLOCAL(&six->sin6_addr) || IN6_IS_ADDR_LOOPBACK(&six->sin6_addr))
        continue; // unusable without a scope
    }
    auto text = address_text(entry->ifa_addr);
    auto& into = entry->ifa_addr->sa_family == AF_INET6 ? v6 : v4;
    if (!text.empty() && std::find(into.begin(), into.end(), text) == into.end())
      into.push_back(std::move(text));
  }
  ::freeifaddrs(list);
  // IPv4 first: myIpAddress takes the first IPv4 one either way, and a stable
  // order keeps myIpAddressEx's answer the same between runs.
  v4.insert(v4.end(), v6.begin(), v6.end());
  return v4;
}

} // namespace

pac_environment system_pac_environment() {
  pac_environment environment;
  environment.resolve = resolve_with_dns;
  environment.my_addresses = interface_addresses;
  environment.now = [] { return std::time(nullptr); };
  return environment;
}

caf::expected<std::function<std::vector<std::string>(const std::string&)>>
hosts_file_resolver(const std::filesystem::path& file) {
  std::ifstream in{file};
  if (!in)
    return make_error(ec::not_found, "cannot read the hosts file " + file.string());
  auto table = std::make_shared<std::unordered_map<std::string, std::vector<std::string>>>();
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    line = line.substr(0, line.find('#'));
    std::istringstream words{line};
    std::string address;
    if (!(words >> address))
      continue;
    auto canonical = ip_literal(address);
    if (canonical.empty())
      return make_error(ec::parse_error, file.string() + ":" + std::to_string(number) + ": '"
                                           + address + "' is not an IP address");
    std::string name;
    while (words >> name) {
      auto& addresses = (*table)[lower(name)];
      if (std::find(addresses.begin(), addresses.end(), canonical) == addresses.end())
        addresses.push_back(canonical);
    }
  }
  return [table](const std::string& host) -> std::vector<std::string> {
    if (auto literal = ip_literal(host); !literal.empty())
      return {literal};
    auto found = table->find(lower(host));
    return found == table->end() ? std::vector<std::string>{} : found->second;
  };
}

} // namespace vigil
