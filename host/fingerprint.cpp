#include "host/fingerprint.hpp"

#include "common/sha256.hpp"

namespace vigil {

std::string fingerprint_of(const machine_identity& identity) {
  if (!identity.machine_id.empty())
    return sha256_hex("machine-id:" + identity.machine_id);
  std::string material = "host:" + identity.hostname;
  for (auto& mac : identity.macs)
    material += ";mac:" + mac;
  return sha256_hex(material);
}

} // namespace vigil
