#include "net/proxy_chain.hpp"

#include "common/error.hpp"
#include "host/logging.hpp"
#include "host/text_encoding.hpp"

namespace vigil {

caf::expected<routed_response> send_over_routes(const proxy_settings& settings,
                                                const route_sender& send,
                                                std::vector<route_attempt>* attempts) {
  std::vector<std::optional<url>> routes{settings.proxies.begin(), settings.proxies.end()};
  if (settings.proxies.empty() || settings.direct_fallback)
    routes.emplace_back(std::nullopt);
  std::vector<route_attempt> failed;
  auto log = module_logger(log_module::network);
  for (auto& route : routes) {
    auto name = route ? route->to_string() : std::string{"direct"};
    auto started = std::chrono::steady_clock::now();
    auto result = send(route);
    auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
    if (result) {
      if (!failed.empty())
        log->info("request succeeded via {} after {} failed route(s)", name, failed.size());
      if (attempts)
        *attempts = failed;
      return routed_response{std::move(*result), std::move(name), std::move(failed)};
    }
    log->warn("route {} failed after {} ms: {}", name, took.count(), render(result.error()));
    failed.push_back({name, result.error(), took});
  }
  if (attempts)
    *attempts = failed;
  if (failed.size() == 1)
    return failed.front().error;
  std::string context = "every route failed";
  if (!settings.proxies.empty() && !settings.direct_fallback)
    context += " and direct connection is disabled (vigil-proxy /t off)";
  for (auto& attempt : failed)
    context += "; " + attempt.route + ": " + render(attempt.error);
  return make_error(ec::all_routes_failed, std::move(context));
}

proxy_credentials credentials_for(const proxy_settings& settings, const url& proxy) {
  if (settings.credentials_to_any)
    return settings.credentials;
  for (auto& named : settings.credentialed)
    if (named.scheme == proxy.scheme && iequals(named.host, proxy.host) && named.port == proxy.port)
      return settings.credentials;
  return {};
}

caf::expected<routed_response> send_with_proxies(const https_client& client, const url& server,
                                                 const http_request& request,
                                                 const proxy_settings& settings,
                                                 std::vector<route_attempt>* attempts) {
  return send_over_routes(
    settings,
    [&](const std::optional<url>& proxy) {
      return client.send(server, request, proxy,
                         proxy ? credentials_for(settings, *proxy) : proxy_credentials{});
    },
    attempts);
}

} // namespace vigil
