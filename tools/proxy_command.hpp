#pragma once

#include <caf/expected.hpp>
#include <optional>
#include <string>
#include <vector>

#include "host/hive_store.hpp"
#include "host/paths.hpp"
#include "host/proxy_config.hpp"
#include "host/proxy_grammar.hpp"

// vigil-proxy's command line (SPEC §10, the guide's QualysProxy), parsed and
// applied to the hive.

namespace vigil {

/// One vigil-proxy command line, parsed.
struct proxy_command {
  std::optional<proxy_option> proxy; ///< `/u LIST` or `/a URL`, with `/n` and `/p`
  std::optional<bool> wpad;          ///< `/w on|off`
  std::optional<bool> system_proxy;  ///< `/h on|off`
  std::optional<bool> direct;        ///< `/t on|off`
  std::optional<bool> credentials_to_any; ///< `/e on|off`
  bool remove = false;               ///< `/d`
  bool show = false;                 ///< `/c`
  bool help = false;                 ///< `--help`, `/?`

  /// Whether the command changes the settings (anything but `/c` and help).
  bool changes() const noexcept {
    return proxy || wpad || system_proxy || direct || credentials_to_any || remove;
  }
};

/// Parses arguments (without the program name and `--root`). Options start
/// with `/` or `-` and are case-insensitive; each may be given once:
///
/// - `/u LIST`, `/a PAC-URL`, `/n USER`, `/p PASSWORD`: the proxy grammar of
///   setup's `Proxy=` (`parse_proxy_option`): `/u` and `/a` exclude each
///   other, `/n` and `/p` need one of them, `/p` needs `/n`. The guide's
///   example 5 spelling `/http://server/file.pac` is taken as `/a URL`.
/// - `/w`, `/h`, `/t`, `/e` take `on` or `off` (case-insensitive).
/// - `/d` stands alone; `/c` may follow a change (it then shows the result).
/// - `--help`, `/?` or `-?` alone ask for the usage.
///
/// Errors are `ec::invalid_argument` with a one-line reason that never quotes
/// the password nor anything that may be a piece of it.
caf::expected<proxy_command> parse_proxy_command(const std::vector<std::string>& args);

/// Applies `command` to the hive under its lock, atomically: `/d` removes the
/// agent's whole `Proxy` key (every setting returns to its default); `/u` or
/// `/a` replaces the proxy list or PAC URL and the credentials as a whole —
/// a user name or password not given again is removed, because credentials
/// belong to the proxies they were given for and must not be sent to a new
/// one; `/w`, `/h`, `/t` change only their own flag. The password is sealed
/// with the host key of `p` (secret_box, purpose "proxy-password") before the
/// hive is touched; any failure leaves the hive byte-identical. Returns the
/// settings as stored afterwards.
caf::expected<proxy_config> apply_proxy_command(const proxy_command& command, hive_store& hive,
                                                const paths& p);

/// The settings as `/c` prints them, one `Name: value` line each; the
/// password only as "set (encrypted)" or "not set".
std::string render_proxy_config(const proxy_config& config);

/// vigil-proxy's usage text.
std::string proxy_usage();

} // namespace vigil
