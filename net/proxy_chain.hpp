#pragma once

#include <caf/expected.hpp>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "net/https_client.hpp"

namespace vigil {

/// The proxies one request may use, in order, and what happens when all fail
/// (SPEC §10). One username and password, sent only to the proxies the
/// administrator named (issue 15, defect 3): whoever answers WPAD or serves a
/// PAC file over plain HTTP must not collect them.
struct proxy_settings {
  std::vector<url> proxies;
  proxy_credentials credentials;
  /// The proxies `credentials` go to (same scheme, host and port); the
  /// others get none, unless `credentials_to_any`.
  std::vector<url> credentialed;
  /// `vigil-proxy /e on`: the administrator sends the credentials to every
  /// proxy, whoever named it.
  bool credentials_to_any = false;
  /// Connect directly after every proxy failed (`vigil-proxy /t on`, default).
  /// With no proxies at all, the connection is always direct.
  bool direct_fallback = true;
};

/// The credentials `settings` sends to `proxy`: its own, or none.
proxy_credentials credentials_for(const proxy_settings& settings, const url& proxy);

/// One route that was tried and failed.
struct route_attempt {
  std::string route;              ///< "direct" or the proxy URL (no credentials)
  caf::error error;               ///< why it failed
  std::chrono::milliseconds took; ///< time spent on it
};

/// A response and the route that carried it.
struct routed_response {
  http_response response;
  std::string route;                  ///< "direct" or the proxy URL
  std::vector<route_attempt> failed;  ///< routes tried before, in order
};

/// Sends over one route: through `proxy`, or directly when it is empty.
using route_sender = std::function<caf::expected<http_response>(const std::optional<url>& proxy)>;

/// Tries each proxy in order, then direct when allowed, and returns the first
/// response. Nothing is remembered between calls: every request starts with
/// the first proxy. Each failure is logged (Network log) with the route and the
/// cause. When every route fails: with a single route tried, its own error;
/// otherwise `ec::all_routes_failed` naming each route's cause, and whether
/// direct was disabled. `attempts`, when given, receives every failed route.
caf::expected<routed_response> send_over_routes(const proxy_settings& settings,
                                                const route_sender& send,
                                                std::vector<route_attempt>* attempts = nullptr);

/// `send_over_routes` with `client` sending `request` to `server`.
caf::expected<routed_response> send_with_proxies(const https_client& client, const url& server,
                                                 const http_request& request,
                                                 const proxy_settings& settings,
                                                 std::vector<route_attempt>* attempts = nullptr);

} // namespace vigil
