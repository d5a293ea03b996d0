#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

// The system's proxy settings and WPAD candidates (SPEC §10), as pure
// functions over text the caller read: the service environment,
// `<root>/etc/environment`, the host's FQDN and `<root>/etc/resolv.conf`.

namespace vigil {

/// The proxy variables of one environment. Each variable is looked up in lower
/// case first, then upper case (curl's and wget's convention).
struct proxy_environment {
  std::optional<std::string> https_proxy; ///< https_proxy / HTTPS_PROXY
  std::optional<std::string> http_proxy;  ///< http_proxy / HTTP_PROXY
  std::optional<std::string> no_proxy;    ///< no_proxy / NO_PROXY

  /// Whether none is set.
  bool empty() const noexcept { return !https_proxy && !http_proxy && !no_proxy; }

  friend bool operator==(const proxy_environment&, const proxy_environment&) = default;
};

/// The proxy variables among `entries` ("NAME=value", as in `environ`). Empty
/// values count as unset.
proxy_environment proxy_environment_of(const std::vector<std::string>& entries);

/// The proxy variables of an `/etc/environment` file (pam_env's format:
/// `NAME=value` lines, values optionally in single or double quotes, `#`
/// comments, an optional leading `export `).
proxy_environment parse_etc_environment(std::string_view text);

/// The service environment over `/etc/environment`: each variable is taken
/// from `service` when set there, else from `etc`.
proxy_environment merge_environments(const proxy_environment& service,
                                     const proxy_environment& etc);

/// The proxy for a request to `scheme://host:port` under `env`, or nothing
/// when none is set or `no_proxy` exempts the host. An https request uses
/// `https_proxy`, falling back to `http_proxy` (an administrator who set only
/// `http_proxy` on a host that needs a proxy expects it to be used); an http
/// request uses `http_proxy`. A value without a scheme gets `http://`.
std::optional<std::string> system_proxy_for(const proxy_environment& env,
                                            std::string_view scheme, std::string_view host,
                                            uint16_t port);

/// Whether `no_proxy` (comma- or blank-separated entries) exempts `host` on
/// `port`. Entries, compared case-insensitively: `*` matches every host;
/// `example.com`, `.example.com` and `*.example.com` match example.com and
/// every name under it (never `badexample.com`); an IPv4 or IPv6 address
/// (brackets optional) matches that address; `10.0.0.0/8` or `fd00::/8`
/// matches addresses in the network; `name:port` or `[v6]:port` matches only
/// on that port.
bool no_proxy_matches(std::string_view no_proxy, std::string_view host, uint16_t port);

/// The search domains of a `resolv.conf` text: the `search` line's domains
/// and the `domain` line's, in order, lower case, without duplicates (the
/// resolver uses the last of the two lines; WPAD tries both).
std::vector<std::string> resolv_conf_domains(std::string_view text);

/// The WPAD URLs to try, in order (SPEC §10): `http://wpad.<domain>/wpad.dat`
/// for the FQDN's domain and each parent domain, then the same for each
/// search domain, stopping before the top-level domain (`wpad.com` is never
/// asked: anyone can register it) and without duplicates. A name with fewer
/// than two labels gives no candidate.
std::vector<std::string> wpad_candidates(std::string_view fqdn,
                                         const std::vector<std::string>& search_domains);

} // namespace vigil
