#pragma once

#include <caf/expected.hpp>
#include <string>
#include <vector>

// The network adapters as GetAdaptersAddresses reports them, for the machine
// identity (MACs) and the basic inventory (addresses), and the pieces the
// `network` collector (scan/windows/network.cpp) reads its rows with. Windows
// only; no Windows header here, so it can follow <windows.h> or precede it.

struct sockaddr;

namespace vigil::win {

/// One adapter other than loopback.
struct adapter {
  std::string mac;               ///< "aa:bb:cc:dd:ee:ff" (sysfs' format); empty when none
  std::vector<std::string> ipv4; ///< unicast addresses, text form
  std::vector<std::string> ipv6;
};

/// Every adapter but the loopback ones; empty when the call fails.
std::vector<adapter> list_adapters();

/// GetAdaptersAddresses(AF_UNSPEC, `flags`, ...) into `buffer`, tried again
/// (a few times) while the list grows between the size query and the call.
/// Afterwards `buffer` is empty when there is no adapter, else it starts
/// with the first IP_ADAPTER_ADDRESSES. An error names the call and code.
caf::expected<void> get_adapter_addresses(unsigned long flags, std::vector<unsigned char>& buffer);

/// A hardware address as sysfs writes it: lowercase hex pairs with colons.
std::string mac_text(const unsigned char* bytes, unsigned long length);

/// An IPv4 or IPv6 socket address's address in text form; empty for others.
std::string address_text(const sockaddr* address);

} // namespace vigil::win
