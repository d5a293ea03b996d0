#pragma once

#include <caf/expected.hpp>
#include <cstdint>
#include <optional>
#include <string>

#include "host/hive_file.hpp"

namespace vigil {

/// Whether self-protection is on: `HKLM\...\SelfProtection`, DWORD `Enabled`
/// = 1 (SPEC §13).
bool self_protection_enabled(const hive& h);

/// The uninstall gate of SPEC §13: while self-protection is on, removing the
/// agent needs an SPFKEY the platform issued for this HostID, signed by the
/// pinned root key, not expired and not used before. Off: passes whatever is
/// given. On: refuses with a named cause — no key given (`ec::invalid_argument`),
/// a key that does not verify (`ec::signature_invalid`), another host's key
/// (`ec::wrong_host`), an expired key (`ec::metadata_expired`), a key used
/// before (`ec::replayed_metadata`) — and otherwise records the key's nonce as
/// used (`SelfProtection\UsedKeys`, kept with the hive) before it passes. No
/// error quotes the key.
caf::expected<void> pass_spfkey_gate(hive_file& hive, const std::optional<std::string>& key,
                                     int64_t now);

} // namespace vigil
