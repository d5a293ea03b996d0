#pragma once

#include <caf/expected.hpp>
#include <string>
#include <string_view>

namespace vigil {

/// Where the payload keeps what only the native package needs: the control
/// file CPack wrote for this build (its Depends from dpkg-shlibdeps). Not
/// installed into the program files.
inline constexpr std::string_view native_package_dir = "package/";

/// The native package (SPEC §0: `vigil-agent_<ver>_amd64.deb`) made from the
/// payload's own files, for `vigil-setup Extract=deb`: the programs are in the
/// payload once (loose, as the installer installs them), not a second time
/// inside an embedded .deb. The package holds
///   ./opt/vigil/bin/*              the payload's bin/ (modes kept)
///   ./opt/vigil/VERSION            the payload's VERSION
///   ./lib/systemd/system/vigil-agent.service   `systemd_unit_text` for /
/// and its control file is the payload's package/control with `Version:` the
/// payload's VERSION and `Installed-Size:` these files' size, plus md5sums
/// and the maintainer scripts (`maintainer_scripts`: postinst, prerm and
/// postrm run vigil-setup's and vigil-uninstall's steps, configured by
/// `/etc/vigil/install.conf`).
/// The same payload always gives the same bytes (root-owned, fixed times,
/// sorted). A payload without package/control or VERSION is `ec::not_found`.
/// With `enrollment` (`enrollment_attachment`), its files go to
/// `/usr/share/vigil-agent/` too, for postinst (`vigil-platform package`).
caf::expected<std::string> make_native_package(std::string_view payload,
                                               std::string_view enrollment = {});

} // namespace vigil
