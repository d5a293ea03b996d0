#pragma once

#include <string>
#include <vector>

// The network adapters as GetAdaptersAddresses reports them, for the machine
// identity (MACs) and the basic inventory (addresses). Internal to host/windows.

namespace vigil::win {

/// One adapter other than loopback.
struct adapter {
  std::string mac;               ///< "aa:bb:cc:dd:ee:ff" (sysfs' format); empty when none
  std::vector<std::string> ipv4; ///< unicast addresses, text form
  std::vector<std::string> ipv6;
};

/// Every adapter but the loopback ones; empty when the call fails.
std::vector<adapter> list_adapters();

} // namespace vigil::win
