#pragma once

#include <caf/expected.hpp>
#include <string>

#include "common/signed_document.hpp"
#include "host/hive.hpp"

namespace vigil {

/// `HKLM\SOFTWARE\Vigil\VigilAgent\Trust`: where setup pins the platform's
/// public root key (DESIGN "One trust root"). A protected value (SPEC §13):
/// written at install, never learned from the network.
std::string trust_key();

/// The value under `trust_key()` holding the pinned root: a REG_SZ
/// "vigil-ed25519:<base64>".
inline constexpr const char* root_key_value = "RootKey";

/// The keys the agent trusts, read from the hive: the pinned root. No root
/// pinned is `ec::not_found` saying how to pin one (`vigil-setup
/// TrustKey=...`); a value that is not a public key is `ec::parse_error`
/// naming the value. Either way the agent then accepts no signed content.
caf::expected<trusted_keys> read_pinned_keys(const hive& h);

} // namespace vigil
