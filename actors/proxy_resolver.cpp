#include "actors/proxy_resolver.hpp"

#include <caf/actor_cast.hpp>

#include "common/error.hpp"
#include "host/logging.hpp"
#include "host/proxy_grammar.hpp"
#include "net/pac/evaluator.hpp"
#include "net/pac/fetch.hpp"

extern char** environ;

namespace vigil {

caf::expected<proxy_resolution_options> agent_proxy_options(const paths& p, const tls_trust& trust,
                                                            std::string fqdn) {
  proxy_resolution_options out;
  out.root = p;
  for (char** e = environ; e && *e; ++e)
    out.service_environment.emplace_back(*e);
  out.fqdn = std::move(fqdn);
  pac_fetch_options fetch_options;
  fetch_options.trust = trust;
  fetch_options.timeout = std::chrono::seconds{10};
  out.fetch = [fetch_options](const std::string& location) {
    return fetch_pac(location, fetch_options);
  };
  out.evaluate = [program = default_pac_program()](
                   const std::string& script, const std::string& source, const std::string& url,
                   const std::string& host) -> caf::expected<std::vector<candidate_route>> {
    pac_request request;
    request.script_text = script;
    request.url = url;
    request.host = host;
    request.program = program;
    auto result = evaluate_pac(request);
    if (!result)
      return result.error();
    auto log = module_logger(log_module::proxy);
    for (auto& skipped : result->skipped)
      log->info("PAC {}: '{}' skipped: {}", mask_userinfo(source), skipped.entry, skipped.reason);
    std::vector<candidate_route> routes;
    for (auto& route : result->routes)
      routes.push_back({route.kind == pac_route::direct, route.proxy_url});
    return routes;
  };
  return out;
}

proxy_resolver_actor::behavior_type
proxy_resolver(proxy_resolver_actor::stateful_pointer<proxy_resolver_state> self,
               proxy_resolution_options options, std::shared_ptr<actor_bus> bus) {
  self->state.resolution = std::make_unique<proxy_resolution>(std::move(options));
  if (bus)
    bus->subscribe(caf::actor_cast<caf::actor>(self));
  return {
    [=](resolve_atom, const std::string& target) -> caf::result<proxy_settings> {
      auto merged = self->state.resolution->resolve(target);
      if (merged.no_route) {
        std::string why = "no route to " + target + ": no proxy is available";
        for (auto& note : merged.notes)
          why += "; " + note;
        why += "; and direct connection is disabled (vigil-proxy /t off)";
        return make_error(ec::all_routes_failed, std::move(why));
      }
      return std::move(merged.settings);
    },
    [=](changed_atom) { self->state.resolution->invalidate(); },
  };
}

} // namespace vigil
