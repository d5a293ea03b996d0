#pragma once

#include <caf/expected.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vigil {

/// What one vigil-uninstall run does.
enum class uninstall_action {
  uninstall, ///< `Uninstall=True`: remove the service, program files and data
  help,      ///< `/?` or `--help`: print `uninstall_usage()`
};

/// A vigil-uninstall command line, parsed and checked (SPEC §4).
struct uninstall_request {
  uninstall_action action = uninstall_action::help;
  /// `Force=True`: a clean uninstall that also removes the hive, so the agent
  /// identity (HostID, CustomerId, ActivationId) is gone.
  bool force = false;
  /// `SPFKEY=<key>`: unlocks self-protection (SPEC §13). A secret: never logged,
  /// never quoted in an error.
  std::optional<std::string> spf_key;

  friend bool operator==(const uninstall_request&, const uninstall_request&) = default;
};

/// Parses vigil-uninstall's arguments (without the program name and `--root`).
/// Keys (case-insensitive): `Uninstall` and `Force` (TRUE/FALSE, also 1/0) and
/// `SPFKEY`; values may be quoted as for vigil-setup. `Uninstall=True` is
/// required: without it (or with `Uninstall=False`) nothing is done and the
/// command line is invalid, so a stray run never removes anything.
/// `CustomerId` and `ActivationId` are refused (the guide: do not pass them to
/// an uninstall), as are unknown keys, a key given twice and empty values.
/// `/?`, `-?`, `--help` or `-h` anywhere: the help action.
/// Errors are `ec::invalid_argument` with a one-line reason (the binary exits
/// `installer_exit::invalid_command_line`); they never quote the SPFKEY.
caf::expected<uninstall_request> parse_uninstall_args(const std::vector<std::string>& args);

/// `parse_uninstall_args` on one command-line string (split with
/// `split_command_line`), as deployment tools pass it.
caf::expected<uninstall_request> parse_uninstall_command_line(std::string_view line);

/// The arguments of `request` as they would be written, for
/// CloudAgentInstaller.log: the SPFKEY shows as `***`.
std::string to_log_string(const uninstall_request& request);

/// vigil-uninstall's usage text (several lines, ending with a newline).
std::string uninstall_usage();

} // namespace vigil
