#pragma once

#include <caf/expected.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "installer/setup_args.hpp"

namespace vigil {

/// The native package's install configuration, `paths::install_conf()`
/// (`/etc/vigil/install.conf`, README "Native packages"): vigil-setup's
/// install arguments, one `Key=Value` a line, written by the administrator
/// (or a configuration-management tool) before the package is installed:
///
///     CustomerId={...}
///     ActivationId={...}
///     WebServiceUri=https://platform.example:8443/CloudAgent/
///     CaBundle=/etc/vigil/ca.pem
///     TrustKey=/etc/vigil/signing-key.pub
///     Proxy="/u http://proxy:3128 /n user /p secret"
///     GoldenImage=TRUE
///
/// Blank lines and lines starting with `#` are skipped; blanks around a line
/// are not part of it; a value is quoted as on vigil-setup's command line.
/// The arguments are checked by `parse_setup_args`, so every error is
/// vigil-setup's, word for word (`ec::invalid_argument`). The configuration
/// describes a fresh install: keys that choose another action (PatchInstall,
/// Extract, Dir, SelfPatch, `/?`) are refused, because the package manager
/// chooses (an upgrade of the package is PatchInstall).
/// `defaults` (an enrollment the package carries, `enrollment_args`) are
/// arguments the file's own replace key by key (`merge_install_args`).
caf::expected<setup_request> parse_install_conf(std::string_view text,
                                                const std::vector<std::string>& defaults = {});

/// The arguments of an install.conf text: its lines without blanks around
/// them, but blank lines and `#` comments.
std::vector<std::string> install_conf_lines(std::string_view text);

} // namespace vigil
