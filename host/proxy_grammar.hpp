#pragma once

#include <caf/expected.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "host/url.hpp"

// The proxy option grammar of SPEC §10 (`/u /n /p /a`), shared by setup's
// `Proxy=` (installer/) and vigil-proxy (tools/). installer/ and tools/ sit at
// the same layer and may not use each other, so the grammar lives one layer
// down, in host/, beside the hive it is stored in (host/proxy_config). Its URLs
// are checked by the one URL parser (host/url), the one the agent connects
// with. Pure functions: no file system, no network, no CAF actors.

namespace vigil {

/// The value of setup's `Proxy=` (and the `/u /n /p /a` part of
/// vigil-proxy's arguments), parsed (SPEC §10). One user name and password apply to every proxy.
struct proxy_option {
  std::vector<std::string> proxy_urls; ///< `/u url1;url2`, in order (tried in that order)
  std::optional<std::string> pac_url;  ///< `/a URL`: a PAC file instead of a list
  std::optional<std::string> username; ///< `/n NAME`
  std::optional<std::string> password; ///< `/p PASSWORD`: never logged, never in an error;
                                       ///< `/p -` parses as "-", which vigil-proxy and setup
                                       ///< replace by a line read from standard input
                                       ///< (host/password_input)

  friend bool operator==(const proxy_option&, const proxy_option&) = default;
};

/// Parses proxy options from one string (setup's `Proxy="/u ... /n ... /p ..."`
/// value), split with `split_command_line`, so quoted arguments may contain
/// spaces and `\"` is a literal quote.
///
/// Grammar: `/u LIST`, `/n NAME`, `/p PASSWORD`, `/a PAC-URL`, in any order,
/// each at most once; option letters are case-insensitive and may start with
/// `-` instead of `/`. `/u` and `/a` exclude each other; one of them is
/// required; `/n` and `/p` need `/u` or `/a`, and `/p` needs `/n`. LIST is
/// `url1;url2;...` (empty items are skipped): each is `http://host[:port][/]`,
/// `https://host[:port][/]` or a bare `host:port`; credentials inside a URL are
/// refused (they belong in `/n` and `/p`). The PAC URL is an http(s) URL. A
/// user name may not contain `:` (HTTP Basic authentication); neither the user
/// name nor the password may contain control characters. An option's value is
/// the next argument unless that argument is itself one of `/u /n /p /a`.
///
/// Errors are `ec::invalid_argument` with a one-line reason. They never contain
/// the password, nor the argument that follows it (a password with an unquoted
/// space would otherwise leak its second half). The caller registers the
/// password with `register_secret` before it logs anything.
caf::expected<proxy_option> parse_proxy_option(std::string_view text);

/// `parse_proxy_option` on arguments that were split already (vigil-proxy's argv).
caf::expected<proxy_option> parse_proxy_option(const std::vector<std::string>& args);

/// The option as it would be written, with the password replaced by `***`:
/// `/u http://p1:8080;http://p2:3128 /n bob /p ***`. For logs and `/c`.
std::string to_display_string(const proxy_option& option);

/// Whether an argument that follows `previous` may be a piece of a secret cut
/// off by a missing quote: `previous` is `/p` (or ends with ` /p`), or is a
/// `Proxy=` or `SPFKEY=` argument. Parsers then report errors about that
/// argument without quoting it.
bool follows_secret(std::string_view previous);

} // namespace vigil
