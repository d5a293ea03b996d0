#pragma once

#include <string>
#include <vector>

#include "protocol/manifest.hpp"
#include "protocol/profile.hpp"

namespace vigil::platform {

/// The profile an activation key gets until an administrator changes it:
/// check-in every 900 s, log level info, Inventory plus the licensed scan
/// modules activated with a 4-hour scan interval at 100 % CPU, no blackout.
protocol::profile default_profile(const std::string& activation_id,
                                  const std::vector<std::string>& licensed_modules);

/// The manifest a module gets by default (SPEC §7). Issue 5 fills in what a
/// vulnerability and compliance team needs; these name the collectors.
protocol::manifest default_manifest(const std::string& module);

/// The profile's etag: a digest of everything in it but the etag itself, so
/// any change gives a new etag and an unchanged profile keeps its etag.
std::string profile_etag(const protocol::profile& p);

} // namespace vigil::platform
