#pragma once

#include <caf/expected.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

// The one URL parser (issue 16, item 10). The installer and vigil-proxy check
// the URLs an administrator writes with `parse_url_parts`; the agent connects
// to what `parse_url` makes of the same text, so a URL one accepts the other
// reads the same way, and a URL one refuses the other refuses. It lives in
// host/ (not net/) because the proxy grammar beside the hive uses it, and
// installer/ and tools/ may not depend on net/ (DESIGN layering). Pure
// functions: no Beast, no Asio, no name resolution.

namespace vigil {

/// An `http(s)://` URL (or a bare `host:port`) split as written, nothing
/// normalized or defaulted: what a grammar checks.
struct url_parts {
  std::string scheme;           ///< lower case; empty for a bare `host:port`
  std::string host;             ///< without brackets around an IPv6 literal
  std::optional<uint16_t> port; ///< when written, 1-65535
  std::string path;             ///< from the first `/`, `?` or `#` on; may be empty
  bool has_userinfo = false;    ///< `user[:password]@` was present
  std::string userinfo;         ///< that `user[:password]`, still percent-encoded
};

/// Splits `text` into `url_parts`. Surrounding spaces and tabs are ignored;
/// any other whitespace or control character is refused. A scheme is what
/// precedes a `://` that comes before any `/`, `?` or `#`; when present it must
/// be http or https (any case). The authority ends at the first `/`, `?` or
/// `#`; userinfo is what precedes its last `@`. The host must be a DNS name
/// (letters, digits, `-`, `.`, `_`), an IPv4 address or a bracketed IPv6
/// literal (an unbracketed one is refused: `http://fe80::1:8080` has no single
/// reading); a port, when a `:` is written, must be a number 1-65535. Errors
/// are `ec::invalid_argument` with the reason only (callers add the URL, masked
/// with `mask_userinfo` or `printable`).
caf::expected<url_parts> parse_url_parts(std::string_view text);

/// `text` with any `user:password@` of its authority replaced by `***@`, so a
/// URL can be quoted in an error message or a log line.
std::string mask_userinfo(std::string_view text);

/// An http or https URL, split into what a connection needs.
struct url {
  std::string scheme;   ///< "http" or "https", lower case
  std::string host;     ///< host name or IP address (IPv6 without brackets)
  uint16_t port = 0;    ///< explicit, or 80 / 443 by scheme
  std::string target;   ///< path and query (no fragment), at least "/"
  std::string username; ///< userinfo before ':' (percent-decoded), rarely used
  std::string password; ///< userinfo after ':' (percent-decoded)

  /// "host:port", with brackets around an IPv6 host: the CONNECT authority and
  /// the Host header.
  std::string authority() const;

  /// The URL without credentials, safe to log: "https://host:port/path".
  std::string to_string() const;

  /// Whether the host is an IPv4 or IPv6 literal.
  bool host_is_ip() const;

  friend bool operator==(const url&, const url&) = default;
};

/// `parse_url_parts(text)` made ready to connect: a bare "host:port" (how
/// proxies are often written) is http, a missing port is the scheme's, the
/// fragment is dropped and the userinfo percent-decoded. Whatever
/// `parse_url_parts` refuses is an `ec::invalid_argument` error,
/// "invalid URL '<text, credentials masked>': <reason>".
caf::expected<url> parse_url(std::string_view text);

/// `base` joined with a relative `path` ("v1/profile"), as a target:
/// base target "/CloudAgent/" + "v1/profile" -> "/CloudAgent/v1/profile".
std::string join_target(const url& base, std::string_view path);

} // namespace vigil
