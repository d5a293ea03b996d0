#pragma once

#include <caf/expected.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "protocol/manifest.hpp"

namespace vigil {
class trusted_keys;
} // namespace vigil

namespace vigil::protocol {

/// A manifest the agent may run, and its exact signed text (what the agent
/// caches: the module actors read it from the store).
struct verified_manifest {
  manifest content;
  std::string text;
};

/// The manifest of `module` in `body`, a signed document (the platform signs
/// every manifest with its root key: DESIGN "One trust root"), refused with a
/// named cause: no pinned keys (`keys` null), unsigned, signed by another key
/// or altered (`ec::signature_invalid`); a signed manifest of another module
/// (`ec::signature_invalid`: mix-and-match); a version older than the cached
/// `cached_version` (`ec::replayed_metadata`); a payload that is no manifest
/// (`ec::protocol_error`, as `parse_body` names it). A manifest that names a command runs as root on every
/// host: nothing unsigned gets that far.
caf::expected<verified_manifest> open_signed_manifest(std::string_view body,
                                                      std::string_view module,
                                                      const trusted_keys* keys,
                                                      std::optional<int64_t> cached_version);

} // namespace vigil::protocol
