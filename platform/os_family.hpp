#pragma once

#include <array>
#include <string>
#include <string_view>

namespace vigil::platform {

/// The OS families the platform keeps manifests for (SPEC §7, §18): a
/// manifest names collectors and paths that mean something on one family
/// only (dpkg and /etc on Linux, the registry and the SCM on Windows), so
/// each module has one manifest per family and each host gets its own
/// family's.
inline constexpr std::array<std::string_view, 2> os_families{"linux", "windows"};

/// The family every host belongs to unless its inventory says otherwise,
/// and the one admin commands mean when they name none.
inline constexpr std::string_view default_os_family = "linux";

/// The OS family of a host, from the `os_name` its inventory reported at
/// provisioning: "windows" for a name starting with "Windows" (what the
/// Windows agent reports: "Windows 10", "Windows 11", "Windows Server"),
/// else "linux" (an os-release NAME, or nothing).
std::string_view os_family_of(std::string_view os_name) noexcept;

/// Whether `family` is one of `os_families`.
bool is_os_family(std::string_view family) noexcept;

/// The `column::manifests` key of `module`'s manifest for `family`: the
/// module name for Linux (the key it had before families, so existing data
/// directories keep their manifests), `module|family` for the others.
std::string manifest_key(std::string_view module, std::string_view family);

} // namespace vigil::platform
