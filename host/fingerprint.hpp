#pragma once

#include <string>
#include <vector>

#include "host/paths.hpp"

namespace vigil {

/// What identifies this machine (SPEC §6 step 2), read under the root.
struct machine_identity {
  std::string machine_id;        ///< `<root>/etc/machine-id`, trimmed; empty when absent
  std::vector<std::string> macs; ///< `<root>/sys/class/net/*/address`, sorted, no loopback
  std::string hostname;          ///< `<root>/etc/hostname`, else the kernel's node name
};

/// Reads the machine's identity under `p`'s root. Missing sources give empty
/// fields, never an error: a container may have no machine-id or no NICs.
machine_identity read_machine_identity(const paths& p);

/// The fingerprint the agent and the platform compare to recognise a clone:
/// a SHA-256 over the machine-id. A golden image cloned and booted gets a new
/// machine-id (systemd writes one at first boot), so its fingerprint changes,
/// while a NIC swap or a rename on the same machine does not. Without a
/// machine-id it falls back to the MAC addresses and host name.
std::string fingerprint_of(const machine_identity& identity);

} // namespace vigil
