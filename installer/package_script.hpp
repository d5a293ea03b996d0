#pragma once

#include <string>
#include <vector>

#include "host/paths.hpp"

namespace vigil {

/// What the native package's maintainer scripts run
/// (`vigil-uninstall --root DIR --package-script SCRIPT ACTION [VERSION...]`,
/// `maintainer_scripts`): dpkg's calls mapped onto vigil-setup's and
/// vigil-uninstall's own code, with the files already where dpkg put them.
///
/// - `postinst configure` with no previous version: a fresh install
///   (`run_install`) configured by `paths::install_conf()`
///   (`parse_install_conf`) over the enrollment a package made by
///   `vigil-platform package` carries (`packaged_enrollment_dir`); a bad
///   configuration is refused with vigil-setup's message before anything is
///   written (1639). Without the file, an existing configuration in the hive
///   (a reinstall after a removal that kept the identity, or over
///   vigil-setup's install) is kept as by PatchInstall; else the packaged
///   enrollment alone; with none of them, the install is refused.
/// - `postinst configure OLD`: an upgrade, `PatchInstall=TRUE` (identity,
///   state and pending deltas kept; install.conf is not read); when the hive
///   holds no configuration (a package older than these scripts), as fresh.
/// - `postinst abort-*`: starts the agent again if it was installed (a
///   removal or upgrade that failed after prerm stopped it).
/// - `prerm remove`: `Uninstall=True` (`run_uninstall`), the SPFKEY from
///   `spfkey_variable` while self-protection is on; dpkg then removes the
///   program files.
/// - `prerm upgrade|deconfigure|failed-upgrade`: stops the agent, so dpkg
///   replaces files no process uses (and self-protection does not put the
///   old ones back).
/// - anything else: nothing (exit 0), as Debian policy asks of unknown
///   actions.
/// - `msi install KEY=VALUE...` (the MSI's deferred custom action after
///   InstallFiles): a fresh install or PatchInstall with `msi_setup_args`,
///   the files put in place by Windows Installer; a bad property fails the
///   action, and the MSI rolls its files back.
/// - `msi remove [SPFKEY=...]` (before RemoveFiles, `msiexec /x`):
///   `Uninstall=True`; Windows Installer removes the program files.
/// - `msi stop` (a major upgrade removing the old product): stops the agent.
/// Every run but a refused configuration appends to CloudAgentInstaller.log.
/// Returns the Windows Installer code (a maintainer script's status is its
/// low byte, non-zero for every failure).
int run_package_script(const paths& p, const std::vector<std::string>& args);

/// vigil-setup's arguments for the MSI's install action
/// (`--package-script msi install KEY=VALUE...`, installer/windows/
/// vigil-agent.wxs): the properties given, without those the MSI left empty
/// (`KEY=`); with no CustomerId, ActivationId nor WebServiceUri given and a
/// configuration in the registry (`configured`), `PatchInstall=TRUE`: an
/// upgrade, or a repair, keeps the identity.
std::vector<std::string> msi_setup_args(const std::vector<std::string>& properties,
                                        bool configured);

} // namespace vigil
