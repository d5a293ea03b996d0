#pragma once

#include <string>
#include <string_view>

namespace vigil::protocol {

/// Whether `text` is a GUID as the installer and the hive spell them:
/// `{XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}`, braces required, hex digits in any
/// case, nothing around it. CustomerId, ActivationId and HostID all have this form.
bool is_guid(std::string_view text) noexcept;

/// Whether `a` and `b` are the same GUID: both valid and equal ignoring the case
/// of their hex digits. Invalid text is never equal to anything.
bool guid_equal(std::string_view a, std::string_view b) noexcept;

/// A new random GUID (UUID version 4) in that form, upper case: a HostID,
/// CustomerId or ActivationId. Uses the OpenSSL CSPRNG.
std::string make_guid();

/// The version-4 GUID in that form, upper case, made of `hex`'s 32 hex
/// digits with the version and variant digits set: `make_guid`'s shape for
/// digits from elsewhere (vigil-fleet's, derived from a seed so a run can be
/// verified again later).
std::string guid_from_hex(std::string hex);

/// `bytes` random bytes from the OpenSSL CSPRNG as lowercase hex (an agent
/// token is 32 bytes).
std::string random_hex(size_t bytes);

} // namespace vigil::protocol
