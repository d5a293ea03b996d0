#include "protocol/signed_manifest.hpp"

#include "common/error.hpp"
#include "common/signed_document.hpp"

namespace vigil::protocol {

caf::expected<verified_manifest> open_signed_manifest(std::string_view body,
                                                      std::string_view module,
                                                      const trusted_keys* keys,
                                                      std::optional<int64_t> cached_version) {
  if (keys == nullptr)
    return make_error(ec::signature_invalid, "no trust root is pinned: no manifest can be verified");
  auto payload = open_document(body, *keys);
  if (!payload)
    return payload.error();
  auto parsed = parse_body<manifest>(*payload);
  if (!parsed)
    return parsed.error();
  if (parsed->module != module)
    return make_error(ec::signature_invalid, "a signed manifest of " + parsed->module
                                               + " was served as the manifest of "
                                               + std::string{module});
  if (cached_version && parsed->version < *cached_version)
    return make_error(ec::replayed_metadata,
                      "manifest version " + std::to_string(parsed->version) + " of "
                        + std::string{module} + " is older than the cached version "
                        + std::to_string(*cached_version));
  return verified_manifest{std::move(*parsed), std::move(*payload)};
}

} // namespace vigil::protocol
