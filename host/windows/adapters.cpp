#include "host/windows/adapters.hpp"

#include <winsock2.h>
#include <ws2tcpip.h>
#include <iphlpapi.h>

#include "host/windows/wide.hpp"

namespace vigil::win {

std::string mac_text(const unsigned char* bytes, unsigned long length) {
  std::string out;
  for (unsigned long i = 0; i < length; ++i) {
    if (i)
      out += ':';
    out += "0123456789abcdef"[bytes[i] >> 4];
    out += "0123456789abcdef"[bytes[i] & 15];
  }
  return out;
}

std::string address_text(const SOCKADDR* address) {
  char text[INET6_ADDRSTRLEN] = {};
  if (address->sa_family == AF_INET)
    ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(address)->sin_addr, text,
                sizeof(text));
  else if (address->sa_family == AF_INET6)
    ::inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(address)->sin6_addr, text,
                sizeof(text));
  return text;
}

caf::expected<void> get_adapter_addresses(unsigned long flags, std::vector<unsigned char>& buffer) {
  ULONG size = 32 * 1024;
  ULONG rc = ERROR_BUFFER_OVERFLOW;
  for (int attempt = 0; attempt < 4 && rc == ERROR_BUFFER_OVERFLOW; ++attempt) {
    buffer.resize(size);
    rc = ::GetAdaptersAddresses(AF_UNSPEC, flags, nullptr,
                                reinterpret_cast<IP_ADAPTER_ADDRESSES*>(buffer.data()), &size);
  }
  if (rc == ERROR_NO_DATA) {
    buffer.clear();
    return {};
  }
  if (rc != NO_ERROR) {
    buffer.clear();
    return error_from(rc, "GetAdaptersAddresses");
  }
  return {};
}

std::vector<adapter> list_adapters() {
  std::vector<adapter> result;
  std::vector<unsigned char> buffer;
  if (!get_adapter_addresses(
        GAA_FLAG_SKIP_ANYCAST | GAA_FLAG_SKIP_MULTICAST | GAA_FLAG_SKIP_DNS_SERVER, buffer)
      || buffer.empty())
    return result;
  for (auto* a = reinterpret_cast<IP_ADAPTER_ADDRESSES*>(buffer.data()); a; a = a->Next) {
    if (a->IfType == IF_TYPE_SOFTWARE_LOOPBACK)
      continue;
    adapter entry;
    bool all_zero = true;
    for (ULONG i = 0; i < a->PhysicalAddressLength; ++i)
      all_zero = all_zero && a->PhysicalAddress[i] == 0;
    if (a->PhysicalAddressLength && !all_zero)
      entry.mac = mac_text(a->PhysicalAddress, a->PhysicalAddressLength);
    for (auto* u = a->FirstUnicastAddress; u; u = u->Next) {
      auto text = address_text(u->Address.lpSockaddr);
      if (text.empty())
        continue;
      (u->Address.lpSockaddr->sa_family == AF_INET ? entry.ipv4 : entry.ipv6).push_back(text);
    }
    result.push_back(std::move(entry));
  }
  return result;
}

} // namespace vigil::win
