#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "protocol/manifest.hpp"
#include "protocol/profile.hpp"

namespace vigil::platform {

/// The profile an activation key gets until an administrator changes it:
/// check-in every 900 s, log level info, Inventory plus the licensed scan
/// modules activated with a 4-hour scan interval at 100 % CPU, no blackout.
protocol::profile default_profile(const std::string& activation_id,
                                  const std::vector<std::string>& licensed_modules);

/// The manifest a module gets by default on hosts of `os_family` (SPEC §7,
/// os_family.hpp): "linux" (also any family it does not know) or "windows".
/// Version 1; only collectors that family's agent has.
protocol::manifest default_manifest(const std::string& module,
                                    std::string_view os_family = "linux");

/// The profile's etag: a digest of everything in it but the etag itself, so
/// any change gives a new etag and an unchanged profile keeps its etag.
std::string profile_etag(const protocol::profile& p);

} // namespace vigil::platform
