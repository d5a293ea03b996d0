#pragma once

#include <caf/expected.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace vigil {

/// One route of a PAC answer: connect directly, or through an HTTP proxy
/// (HTTPS to the platform then goes by CONNECT, SPEC §10).
struct pac_route {
  /// How this route connects.
  enum kind_type {
    direct, ///< to the server itself
    proxy,  ///< through the HTTP proxy at `proxy_url`
  };
  /// How this route connects.
  kind_type kind = direct;
  /// "http://host:port" (IPv6 hosts in brackets) for a proxy; empty for direct.
  std::string proxy_url;

  friend bool operator==(const pac_route&, const pac_route&) = default;
};

/// An entry of a PAC answer that is well-formed but that Vigil's transport
/// cannot use (SOCKS, an HTTPS proxy), kept so the caller can log why.
struct pac_skipped_entry {
  std::string entry;  ///< the entry as written ("SOCKS5 s:1080")
  std::string reason; ///< why it was left out
};

/// A parsed FindProxyForURL answer: the failover list, tried in order.
struct pac_result {
  std::vector<pac_route> routes;          ///< usable routes, in the PAC's order
  std::vector<pac_skipped_entry> skipped; ///< entries left out, with the reason
  std::string text;                       ///< the answer as the PAC returned it
};

/// Parses a FindProxyForURL answer such as `PROXY a:1; PROXY b:2; DIRECT`.
/// Keywords are case-insensitive and whitespace is free; `PROXY` and `HTTP`
/// name an HTTP proxy (port 80 when none is given); `SOCKS`, `SOCKS4`,
/// `SOCKS5` and `HTTPS` entries are skipped with a reason (our transport
/// speaks plain HTTP to proxies); an empty answer means DIRECT, as in every
/// browser. A malformed entry is an `ec::parse_error` naming the entry; so is
/// an answer that leaves no usable route.
caf::expected<pac_result> parse_pac_result(std::string_view text);

/// The `host` argument of FindProxyForURL for `url`: the URL's host, lower
/// case, without userinfo, port or IPv6 brackets. A URL without a host is an
/// `ec::invalid_argument` error.
caf::expected<std::string> pac_host_of(std::string_view url);

} // namespace vigil
