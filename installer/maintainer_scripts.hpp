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

/// The environment variable that makes an rpm erase `Force=True`
/// (`VIGIL_PURGE=1 rpm -e vigil-agent`): rpm has no purge, and
/// `vigil-uninstall Force=True` before `rpm -e` would leave %preun without
/// its program.
inline constexpr std::string_view purge_variable = "VIGIL_PURGE";

/// The environment variable through which the .deb's postinst hands the
/// answers preseeded in debconf (`vigil-agent/CustomerId` and the other
/// `debconf_templates` questions) to the configure step: install.conf's
/// lines (Key=Value, one a line), read when install.conf does not exist.
inline constexpr std::string_view debconf_variable = "VIGIL_DEBCONF";

/// Which package manager runs the scripts.
enum class package_format {
  deb, ///< dpkg: postinst, prerm, postrm
  rpm, ///< rpm: the %pre, %post, %preun and %postun scriptlets
};

/// The native package's maintainer scripts, as (name, /bin/sh text).
///
/// deb: postinst, prerm, postrm and debconf's config. postinst and prerm
/// are thin: they run the installed vigil-uninstall with
/// `package_script_option`, so the package installs, upgrades and
/// removes through the code vigil-setup and vigil-uninstall run; postinst
/// without install.conf hands debconf's preseeded answers over
/// (`debconf_variable`). postrm's `purge` removes `identity_files` (the list
/// is written into it: the programs are gone by then), as `Force=True` does,
/// and the debconf answers. config asks nothing (`debconf_templates`).
/// Every path is under `$DPKG_ROOT` (empty in production; dpkg's `--root`
/// with `--force-script-chrootless` sets it).
///
/// rpm (names `pre`, `post`, `preun`, `postun`; rpm chroots into its
/// `--root`, so paths are the real root's): rpm's `$1` is the number of
/// installed instances after the operation, and on upgrade the new
/// package's %pre and %post run before the old one's %preun and %postun.
/// So %pre on upgrade (`$1` ≥ 2) stops the agent (dpkg's `prerm upgrade`)
/// and notes the old VERSION; %post is `postinst configure` (fresh, `$1` =
/// 1) or `postinst configure OLD` (PatchInstall); %preun is `prerm remove`
/// (Uninstall=True, `spfkey_variable`) only on erase (`$1` = 0) and nothing
/// on upgrade; %postun on erase with `purge_variable` = 1 removes
/// `identity_files` as dpkg's purge does (Force=True).
std::vector<std::pair<std::string, std::string>>
maintainer_scripts(package_format format = package_format::deb);

/// The .deb's debconf `templates` (its control file of that name): one
/// question a vigil-setup key an installer configures (CustomerId,
/// ActivationId, WebServiceUri, CaBundle, TrustKey, GoldenImage), never
/// asked (there is no config script: a fleet installs silently) but
/// preseeded, as Ansible's debconf module or `debconf-set-selections` do:
///   vigil-agent vigil-agent/CustomerId string {GUID}
/// postinst reads them when /etc/vigil/install.conf does not exist and hands
/// them over in `debconf_variable`. Proxy= is not among them: debconf keeps
/// answers in clear in /var/cache/debconf; install.conf (0600) takes it.
std::string debconf_templates();

} // namespace vigil
