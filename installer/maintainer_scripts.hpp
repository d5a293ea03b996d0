#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vigil {

/// The option of vigil-uninstall that the native package's maintainer scripts
/// run it with: `vigil-uninstall --root DIR --package-script SCRIPT ARGS...`
/// (`run_package_script`).
inline constexpr std::string_view package_script_option = "--package-script";

/// The environment variable that carries an SPFKEY to the package's removal
/// (`VIGIL_SPFKEY=... apt remove vigil-agent`, SPEC §13), as `SPFKEY=` does
/// to vigil-uninstall.
inline constexpr std::string_view spfkey_variable = "VIGIL_SPFKEY";

/// The native package's maintainer scripts, as (name, /bin/sh text): postinst
/// and prerm are thin: they run the installed vigil-uninstall with
/// `package_script_option`, so the package installs, upgrades and removes
/// through the code vigil-setup and vigil-uninstall run. postrm's `purge`
/// removes `identity_files` (the list is written into it: the programs are
/// gone by then), as `Force=True` does. Every path is under `$DPKG_ROOT`
/// (empty in production; dpkg's `--root` with `--force-script-chrootless`
/// sets it).
std::vector<std::pair<std::string, std::string>> maintainer_scripts();

} // namespace vigil
