#pragma once

#include <caf/expected.hpp>
#include <optional>
#include <filesystem>
#include <string>

#include "host/paths.hpp"
#include "installer/installer_log.hpp"
#include "installer/setup_args.hpp"
#include "installer/setup_transaction.hpp"

namespace vigil {

/// Where an install's program files come from.
struct install_source {
  /// vigil-setup: extracts its payload archive into the directory given
  /// (the staging directory of the program files).
  setup_transaction::unpack_function unpack;
  /// The version being installed (the payload's VERSION).
  std::string version;
  /// The native package's scripts: the package manager has put the program
  /// files in place already (and decided about versions); setup does every
  /// other step.
  bool files_in_place = false;
  /// The path of the vigil-setup file being run (/proc/self/exe), kept as
  /// the reference binary patches of the next release apply to (SPEC §12);
  /// empty for the native package (its hosts download whole packages).
  std::filesystem::path package_file;
};

/// The public key `TrustKey=` names: the key text itself, or the file holding
/// it (the platform's signing-key.pub). Anything else is `ec::invalid_argument`
/// with a reason: a fleet must never pin a key by accident.
caf::expected<std::string> read_trust_key(const std::string& value);

/// What vigil-setup checks of a parsed `request` before it writes anything,
/// reading files and input: the key its TrustKey names (returned; nothing
/// without TrustKey) and the proxy password `/p -` asks for, read from
/// `password_fd` (registered as a secret, like a password given inline).
/// Errors are `ec::invalid_argument` with vigil-setup's one-line reason
/// ("TrustKey: ...", "Proxy: /p -: ..."): a bad command line (1639).
caf::expected<std::optional<std::string>> complete_request(setup_request& request,
                                                           int password_fd);

/// A fresh install or a PatchInstall (SPEC §3) of `source` as `request` asks
/// (its action is install or patch; `/p -` already read), with `trust_root`
/// read from its TrustKey: the version rules (1638), the proxy password
/// sealed, and `setup_transaction`'s steps, all or nothing. The one
/// implementation vigil-setup and the native package's postinst share.
/// Logs to `log` and returns `log.finish(...)`'s Windows Installer code.
/// Call with the setup lock held.
int run_install(const paths& p, const setup_request& request, std::optional<std::string> trust_root,
                installer_log& log, const install_source& source);

} // namespace vigil
