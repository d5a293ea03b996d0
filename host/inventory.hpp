#pragma once

#include <string>
#include <vector>

#include "host/fingerprint.hpp"
#include "host/paths.hpp"

namespace vigil {

/// The basic inventory sent when provisioning (SPEC §6 step 6 names what
/// Inventory syncs): host name, OS, kernel, architecture, addresses.
struct basic_inventory {
  std::string hostname;
  std::string fqdn;
  std::string os_name;    ///< os-release NAME
  std::string os_version; ///< os-release VERSION_ID
  std::string kernel;     ///< uname release
  std::string arch;       ///< uname machine
  std::vector<std::string> ipv4;
  std::vector<std::string> ipv6;
  std::vector<std::string> macs;
};

/// Reads the basic inventory: files under `p`'s root (`etc/os-release`,
/// `etc/hostname`, `sys/class/net`), the kernel's uname and the interfaces'
/// addresses (loopback left out).
basic_inventory read_basic_inventory(const paths& p, const machine_identity& identity);

} // namespace vigil
