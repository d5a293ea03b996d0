#pragma once

#include <caf/expected.hpp>
#include <filesystem>

#include "common/signing.hpp"

namespace vigil::platform {

/// `DIR/signing-key`: the platform's Ed25519 root key (DESIGN "One trust
/// root"), separate from its TLS CA. Mode 0600; it never leaves the platform.
std::filesystem::path signing_key_file(const std::filesystem::path& data_dir);

/// `DIR/signing-key.pub`: its public half, what installers pin on every host
/// (`vigil-setup TrustKey=FILE`).
std::filesystem::path signing_public_key_file(const std::filesystem::path& data_dir);

/// The platform's signing key in `data_dir`, created on first use (both
/// files written atomically, the private one 0600). A key file that exists
/// but does not parse is an error naming it, never replaced: every host
/// pinned its public half, and a new key would orphan the fleet.
caf::expected<signing_key> ensure_signing_key(const std::filesystem::path& data_dir);

} // namespace vigil::platform
