#pragma once

#include <caf/expected.hpp>
#include <cstdint>
#include <string>
#include <string_view>

namespace vigil {

/// An http or https URL, split into what a connection needs.
struct url {
  std::string scheme;   ///< "http" or "https", lower case
  std::string host;     ///< host name or IP address (IPv6 without brackets)
  uint16_t port = 0;    ///< explicit, or 80 / 443 by scheme
  std::string target;   ///< path and query, at least "/"
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

/// Parses `text`. A bare "host:port" (how proxies are often written) is taken
/// as http. Anything else malformed is an `ec::invalid_argument` error naming
/// what is wrong.
caf::expected<url> parse_url(std::string_view text);

/// `base` joined with a relative `path` ("v1/profile"), as a target:
/// base target "/CloudAgent/" + "v1/profile" -> "/CloudAgent/v1/profile".
std::string join_target(const url& base, std::string_view path);

} // namespace vigil
