#pragma once

#include <filesystem>
#include <vector>

#include "host/paths.hpp"
#include "installer/installer_log.hpp"
#include "installer/uninstall_args.hpp"

namespace vigil {

/// The files that hold the agent's identity and go with `Force=True` (SPEC
/// §4): the hive, its lock and the host key (the hive's directory goes too
/// when they leave it empty). The native package's `postrm purge` removes
/// the same list (`maintainer_script`).
std::vector<std::filesystem::path> identity_files(const paths& p);

/// Who removes the program files.
enum class program_files_owner {
  uninstaller,     ///< vigil-uninstall: all of `<root>/opt/vigil` goes
  package_manager, ///< the native package's prerm: dpkg removes its own files
                   ///< after; only what the agent and setup added there goes
};

/// `vigil-uninstall Uninstall=True [Force=True] [SPFKEY=]` (SPEC §4, §13): the
/// self-protection gate (files and hive untouched when it refuses), then the
/// service stopped and unregistered, the program files, program data (but
/// the installer's log) and, with Force, `identity_files`. The one
/// implementation vigil-uninstall and the native package's prerm share.
/// Logs to `log` and returns `log.finish(...)`'s Windows Installer code.
/// Call with the setup lock held.
int run_uninstall(const paths& p, const uninstall_request& request, installer_log& log,
                  program_files_owner files);

} // namespace vigil
