#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "net/proxy_chain.hpp"

// How the proxy sources of SPEC §10 combine into the routes of one request.
// Pure logic (no CAF actors, no I/O): the proxy resolver gathers what each
// source says and hands it here.

namespace vigil {

/// One route a source proposes: a proxy URL, or a direct connection.
struct candidate_route {
  bool direct = false;
  std::string proxy; ///< `http://host:port` or `https://host:port`; empty when direct

  friend bool operator==(const candidate_route&, const candidate_route&) = default;
};

/// What one source said about one request, in the order SPEC §10 asks them:
/// the agent's list, the PAC file, WPAD, the system settings.
struct source_result {
  std::string source;                  ///< for logs: "ProxyUrls", "PAC http://...", ...
  std::vector<candidate_route> routes; ///< in the source's order; empty: nothing to propose
  std::optional<std::string> failure;  ///< why the source could not answer (logged)
  /// The administrator named these proxies (`/u`, or a PAC file fetched over
  /// https from the `/a` URL): the credentials may go to them.
  bool administrator_named = false;
};

/// The routes of one request and what to log about them.
struct merged_routes {
  proxy_settings settings;        ///< the proxies in order, credentials, direct last or not
  std::vector<std::string> notes; ///< skipped routes and failed sources, for the Proxy log
  bool no_route = false;          ///< nothing may be tried: the transport reports an error
};

/// Combines the sources: every proxy each source proposes, in source order
/// and within a source in its order, each URL once (the first mention wins);
/// then a direct connection, which SPEC §10 puts last:
///
/// - with `direct_fallback` (`/t on`), always;
/// - with `/t off`, only when no proxy was proposed at all and either no
///   source is configured (`any_source_configured` false: the agent has no
///   proxy to fail) or a source proposed DIRECT itself (a PAC file or
///   `no_proxy` choosing a direct connection for this host). Otherwise there
///   is no route, and `no_route` says so.
///
/// A DIRECT a source proposes between proxies is tried last, after every
/// proxy. Proxies that are not `http(s)://host[:port]` URLs (a PAC's SOCKS) are
/// skipped with a note. `credentials` go to the proxies of sources the
/// administrator named (`administrator_named`), or to every proxy with
/// `credentials_to_any` (`vigil-proxy /e on`); a proxy that gets none while
/// credentials are set is noted once.
merged_routes merge_routes(const std::vector<source_result>& sources, bool direct_fallback,
                           bool any_source_configured, const proxy_credentials& credentials,
                           bool credentials_to_any = false);

/// The routes of a proxy list (`ProxyUrls`): each URL as given, a bare
/// `host:port` with `http://` added.
std::vector<candidate_route> routes_of_list(const std::vector<std::string>& urls);

/// One line describing `settings` for the Proxy log (never the password):
/// `proxies http://a:1, http://b:2 (user bob, password set); then direct`.
std::string describe(const proxy_settings& settings);

} // namespace vigil
