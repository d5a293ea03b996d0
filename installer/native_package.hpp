#pragma once

#include <caf/expected.hpp>
#include <map>
#include <string>
#include <string_view>
#include <utility>

#include "installer/archive_io.hpp"
#include "installer/setup_args.hpp"

namespace vigil {

/// The native package of the system this vigil-setup is built for, the one
/// `make_native_package` makes: `deb` (Linux) or `msi` (Windows).
extract_format native_package_format() noexcept;

/// What `Extract=AUTO` writes here: the native package where this system's
/// package manager installs it (Windows; Linux with dpkg), else `tar`.
extract_format auto_extract_format();

/// The file `Extract=` writes for `format` and the payload's `version`:
/// `vigil-agent_<version>_amd64.deb`, `..._amd64.tar`, `..._x64.msi`.
inline std::string extracted_package_name(extract_format format, std::string_view version) {
  auto stem = "vigil-agent_" + std::string{version};
  if (format == extract_format::msi)
    return stem + "_x64.msi";
  return stem + "_amd64." + (format == extract_format::deb ? "deb" : "tar");
}

/// Where the payload keeps what only the native package needs: the control
/// file CPack wrote for this build (its Depends from dpkg-shlibdeps). Not
/// installed into the program files.
inline constexpr std::string_view native_package_dir = "package/";

/// The .deb's other files the payload carries under `native_package_dir`
/// (taken from CPack's .deb by make_payload.sh), and where the .deb installs
/// them: Debian's copyright and changelog, and lintian's overrides.
inline constexpr std::pair<std::string_view, std::string_view> native_package_files[] = {
  {"copyright", "usr/share/doc/vigil-agent/copyright"},
  {"changelog.gz", "usr/share/doc/vigil-agent/changelog.gz"},
  {"lintian-overrides", "usr/share/lintian/overrides/vigil-agent"},
};

/// What the Linux packages (.deb and .rpm) install, from a payload and an
/// enrollment attachment (empty: none), by installed path without the leading
/// "/" (sorted): the payload's bin/* as opt/vigil/bin/*, its VERSION as
/// opt/vigil/VERSION, the unit (`systemd_unit_text` for /) as
/// lib/systemd/system/vigil-agent.service, and the enrollment's files under
/// `packaged_enrollment_dir`. `files` points into `payload` and `made`
/// (std::map nodes: they stay put when the struct is moved). A payload
/// without VERSION or package/control is `ec::not_found`.
struct linux_package_contents {
  std::map<std::string, archive_member_file> payload; ///< every file of the payload
  std::map<std::string, archive_member_file> made;    ///< the unit and the enrollment's files
  std::map<std::string, const archive_member_file*> files; ///< what the package installs
  std::string version; ///< the payload's VERSION, trimmed
  std::string control; ///< the payload's package/control (CPack's, for this build)
};
caf::expected<linux_package_contents> read_linux_package_contents(std::string_view payload,
                                                                  std::string_view enrollment);

/// This system's native package made from the payload's own files.
///
/// Linux: the .deb (SPEC §0: `vigil-agent_<ver>_amd64.deb`), for
/// `vigil-setup Extract=deb`: the programs are in the
/// payload once (loose, as the installer installs them), not a second time
/// inside an embedded .deb. The package holds
///   ./opt/vigil/bin/*              the payload's bin/ (modes kept)
///   ./opt/vigil/VERSION            the payload's VERSION
///   ./lib/systemd/system/vigil-agent.service   `systemd_unit_text` for /
///   `native_package_files`         copyright, changelog.gz, lintian's overrides
/// and its control file is the payload's package/control with `Version:` the
/// payload's VERSION and `Installed-Size:` these files' size, plus md5sums
/// and the maintainer scripts (`maintainer_scripts`: postinst, prerm and
/// postrm run vigil-setup's and vigil-uninstall's steps, configured by
/// `/etc/vigil/install.conf`).
/// The same payload always gives the same bytes (root-owned, fixed times,
/// sorted). A payload without package/control or VERSION is `ec::not_found`.
/// With `enrollment` (`enrollment_attachment`), its files go to
/// `/usr/share/vigil-agent/` too, for postinst (`vigil-platform package`).
///
/// Windows: the MSI (`vigil-setup.exe ExtractMSI=64`), made as the .deb is,
/// so the programs are in vigil-setup.exe once: the payload's
/// `package/vigil-agent.msi` is the MSI's database without its cabinet
/// (installer/windows/vigil-agent.wxs, EmbedCab=no); the payload's files go
/// into a cabinet by Windows' own cabinet API (FCI, in the File table's
/// sequence, named by its keys) and the cabinet into the database's
/// `_Streams` by Windows Installer's API. A payload whose files do not match
/// the database's File table (name and size) is refused. An enrollment is
/// `ec::unsupported` there (an enrolled MSI is not built yet).
caf::expected<std::string> make_native_package(std::string_view payload,
                                               std::string_view enrollment = {});

} // namespace vigil
