#pragma once

#include <caf/expected.hpp>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "host/command_line.hpp"
#include "host/proxy_grammar.hpp"

namespace vigil {

/// vigil-setup's and vigil-uninstall's exit codes: Windows Installer's, because
/// SCCM, BigFix and Intune read them (SPEC §3).
namespace installer_exit {
/// The action completed (also: nothing needed doing).
inline constexpr int success = 0;
/// A step failed; the host was restored to how it was (ERROR_INSTALL_FAILURE).
inline constexpr int fatal = 1603;
/// Another installation holds the lock (ERROR_INSTALL_ALREADY_RUNNING).
inline constexpr int busy = 1618;
/// This or a newer version is installed already (ERROR_PRODUCT_VERSION).
inline constexpr int already_installed = 1638;
/// The arguments are invalid; a one-line reason goes to stderr
/// (ERROR_INVALID_COMMAND_LINE).
inline constexpr int invalid_command_line = 1639;
} // namespace installer_exit

/// What one vigil-setup run does.
enum class setup_action {
  install, ///< fresh install (CustomerId, ActivationId, WebServiceUri)
  patch,   ///< `PatchInstall=TRUE`: in-place upgrade keeping identity and state
  extract, ///< `Extract=` or `ExtractMSI=`: write the native package out, install nothing
  help,    ///< `/?` or `--help`: print `setup_usage()`
};

/// The package `Extract=` writes (the guide's `ExtractMSI=`).
enum class extract_format {
  deb,  ///< the Debian package (a Linux vigil-setup's)
  tar,  ///< a tarball of the payload
  msi,  ///< the Windows Installer package (vigil-setup.exe's; `ExtractMSI=64`)
  auto_detect, ///< `AUTO`: what the host's package manager installs
};

/// "install", "patch", "extract", "help".
const char* to_string(setup_action action) noexcept;

/// "deb", "tar", "msi", "AUTO": the spelling `Extract=` takes.
const char* to_string(extract_format format) noexcept;

/// A vigil-setup command line, parsed and checked: every field a later step
/// needs, so no step re-reads the arguments.
struct setup_request {
  setup_action action = setup_action::help;
  std::string customer_id;           ///< install: `{GUID}`, as given (case kept)
  std::string activation_id;         ///< install: `{GUID}`, as given (case kept)
  std::string web_service_uri;       ///< install: an https URL, as given
  std::optional<proxy_option> proxy; ///< install: `Proxy="..."`
  std::optional<std::string> ca_bundle; ///< install: `CaBundle=FILE`, the CA the agent trusts
  /// install: `TrustKey=FILE` or the key text: the platform's public root key
  /// to pin (DESIGN "One trust root").
  std::optional<std::string> trust_key;
  bool golden_image = false;         ///< install: `GoldenImage=TRUE`, do not start, no HostID
  bool allow_downgrade = false;      ///< install/patch: `AllowDowngrade=TRUE` overrides 1638
  /// patch: `SelfPatch=TRUE`, the agent's own upgrade: watch the new version
  /// and roll back if it does not prove itself (SPEC §12).
  bool self_patch = false;
  extract_format extract = extract_format::auto_detect; ///< extract: the package kind
  std::optional<std::string> extract_dir; ///< extract: `Dir=PATH`; absent means the binary's default
  /// extract: given as the guide's `ExtractMSI=`, whose package goes next to
  /// the setup program (not into the current directory) when no Dir= is given.
  bool extract_next_to_program = false;

  friend bool operator==(const setup_request&, const setup_request&) = default;
};

/// Parses vigil-setup's arguments (without the program name; the binary removes
/// `--root DIR` first with `paths::take_root_option`). SPEC §3:
///
/// - Arguments are `Key=Value`; keys and boolean values are case-insensitive.
///   Keys: CustomerId, ActivationId (`{8-4-4-4-12}` hex GUIDs), WebServiceUri
///   (`https://host[:port][/path]`), Proxy (see `parse_proxy_option`), CaBundle
///   (a path), TrustKey (a path, or the key text "vigil-ed25519:..."), GoldenImage, PatchInstall, AllowDowngrade (TRUE/FALSE, also 1/0),
///   Extract (deb, tar, msi or AUTO), ExtractMSI (the guide's: 64 or AUTO; 32 and
///   BOTH are refused, there is no 32-bit agent), Dir (a path). A value wholly enclosed in `"`
///   is unquoted with `split_command_line`'s rules (`\"` is a literal quote).
/// - `/?`, `-?`, `--help` or `-h` anywhere: the help action; nothing else is checked.
/// - Unknown keys, a key given twice, an empty value and an argument that is
///   not `Key=Value` are errors.
/// - Install (no PatchInstall, no Extract) needs CustomerId, ActivationId and
///   WebServiceUri. `PatchInstall=TRUE` keeps the installed configuration, so
///   it refuses CustomerId, ActivationId, WebServiceUri, Proxy, CaBundle,
///   TrustKey and GoldenImage (only AllowDowngrade goes with it). `Extract=` and `ExtractMSI=`
///   (one of them) refuse every key but Dir; Dir needs one of them. `PatchInstall=FALSE` means an install.
///
/// Every error is `ec::invalid_argument` with a one-line reason naming the key
/// (the binary prints it and exits `installer_exit::invalid_command_line`).
/// Errors never quote a proxy password or an SPFKEY, nor an argument right
/// after one that is not a known `Key=` (it may be the cut-off rest of an
/// unquoted password, see `follows_secret`); a known key's bad value is quoted.
caf::expected<setup_request> parse_setup_args(const std::vector<std::string>& args);

/// `parse_setup_args` on one command-line string, as SCCM and other deployment
/// tools pass it: split with `split_command_line` first.
caf::expected<setup_request> parse_setup_command_line(std::string_view line);

/// The arguments of `request` as they would be written, for
/// CloudAgentInstaller.log: the proxy password shows as `***`.
std::string to_log_string(const setup_request& request);

/// vigil-setup's usage text (several lines, ending with a newline).
std::string setup_usage();

// -- Pieces shared with vigil-uninstall's grammar ------------------------------

/// Whether `arg` asks for usage: `/?`, `-?`, `--help` or `-h` (case-insensitive).
bool is_help_argument(std::string_view arg) noexcept;

/// One `Key=Value` argument, split at the first `=`.
struct key_value_argument {
  std::string key;   ///< as written (compare with `iequals`)
  std::string value; ///< unquoted when it was wholly quoted
  /// When the argument follows one that may carry a secret (`follows_secret`):
  /// that argument's key, "Proxy=" or "SPFKEY=", or "/p". An error about an
  /// unknown key must then not quote this argument: it may be the rest of a
  /// password that lacked quotes. Empty otherwise.
  std::string after_secret;
};

/// Calls `handle` with each argument of `args` split into key and value, and
/// stops at the first error. An argument without `=` or with an empty key is an
/// error (quoted unless it may be a piece of a secret); so is a quoted value
/// followed by more text.
caf::expected<void>
for_each_key_value(const std::vector<std::string>& args,
                   const std::function<caf::expected<void>(const key_value_argument&)>& handle);

/// A boolean argument value: TRUE or FALSE in any case, or 1 or 0. Anything
/// else is an `ec::invalid_argument` error naming `key`.
caf::expected<bool> parse_bool_value(std::string_view key, std::string_view value);

} // namespace vigil
