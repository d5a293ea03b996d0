#pragma once

#include <caf/expected.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

// The lowest layer of the installer grammar: Windows-style command-line
// splitting, the small URL check the installer needs (no dependency on net/),
// and the proxy option grammar shared by setup's `Proxy=` and vigil-proxy.
// Pure functions: no file system, no network, no CAF actors.

namespace vigil {

/// Splits a whole command line the way Windows programs split theirs
/// (CommandLineToArgvW), because deployment tools (SCCM, Intune, BigFix) hand
/// over one string, not an argv: arguments are separated by spaces, tabs and
/// line breaks; `"` toggles quoting (spaces inside quotes are kept, the quotes
/// are dropped, `""` is an empty argument); `\"` is a literal quote, and in
/// general 2n backslashes before a `"` give n backslashes and a quote toggle,
/// 2n+1 give n backslashes and a literal quote; backslashes anywhere else are
/// literal. An unterminated quote is an `ec::invalid_argument` error that names
/// its position, never the text (the line may carry a password).
caf::expected<std::vector<std::string>> split_command_line(std::string_view line);

/// The inverse of `split_command_line` for one argument: `arg` itself when it
/// has no space, tab, line break or quote and is not empty; otherwise `arg` in
/// quotes, with `"` written `\"` and the backslashes before a quote doubled.
std::string quote_argument(std::string_view arg);

/// `text` made safe to quote in a one-line error message: everything between
/// the scheme (or the start) and the last `@` masked as `***`, since a stray or
/// malformed `http://user:password@proxy` argument may be quoted in an error
/// (more than `mask_userinfo` hides: an unencoded `/` in a password must not
/// end the masking), control characters written `\n`, `\r`, `\t` or `\xNN`, and
/// text past 120 characters cut to end with `...`. Never use it on a value
/// known to be secret: it cannot tell a password from any other text.
std::string printable(std::string_view text);

/// The parts of an `http(s)://` URL (or bare `host:port`) that the installer
/// checks, without resolving or normalizing anything.
struct url_parts {
  std::string scheme;           ///< lower case; empty for a bare `host:port`
  std::string host;             ///< without brackets around an IPv6 literal
  std::optional<uint16_t> port; ///< when written, 1-65535
  std::string path;             ///< from the first `/`, `?` or `#` on; may be empty
  bool has_userinfo = false;    ///< `user[:password]@` was present
};

/// Splits `text` into `url_parts`. The scheme, when present, must be http or
/// https; the host must be a DNS name (letters, digits, `-`, `.`, `_`), an IPv4
/// address or a bracketed IPv6 literal; a port must be a number 1-65535; no
/// whitespace or control characters anywhere. Errors are
/// `ec::invalid_argument` with the reason only (callers add the masked URL,
/// see `mask_userinfo`).
caf::expected<url_parts> parse_url_parts(std::string_view text);

/// `text` with any `user:password@` of its authority replaced by `***@`, so a
/// URL can be quoted in an error message or a log line.
std::string mask_userinfo(std::string_view text);

/// The value of setup's `Proxy=` (and later vigil-proxy's arguments), parsed
/// (SPEC §10). One user name and password apply to every proxy.
struct proxy_option {
  std::vector<std::string> proxy_urls; ///< `/u url1;url2`, in order (tried in that order)
  std::optional<std::string> pac_url;  ///< `/a URL`: a PAC file instead of a list
  std::optional<std::string> username; ///< `/n NAME`
  std::optional<std::string> password; ///< `/p PASSWORD`: never logged, never in an error

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
