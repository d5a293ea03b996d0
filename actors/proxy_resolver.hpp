#pragma once

#include <caf/atom.hpp>
#include <caf/fwd.hpp>
#include <caf/replies_to.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <memory>
#include <string>

#include "actors/actor_bus.hpp"
#include "actors/message_types.hpp"
#include "actors/proxy_resolution.hpp"

namespace vigil {

using resolve_atom = caf::atom_constant<caf::atom("resolve")>;

/// The proxy resolver (SPEC §10, DESIGN.md actors): the routes of each request
/// from the agent's proxy list, its PAC file, WPAD, the system settings and
/// the direct fallback, with the credentials opened from the hive. It runs
/// detached: reading files, downloading a PAC file and waiting for the PAC
/// child process block, and must never block a scheduler thread. Changes made
/// with vigil-proxy apply to the next request without a restart (the hive is
/// read on every request; a hive change also drops cached PAC answers).
using proxy_resolver_actor = caf::typed_actor<
  /// The routes for a request to the URL: proxies in order, credentials, and
  /// whether direct follows. When nothing may be tried (every source failed
  /// and `/t off`) the answer is an `ec::all_routes_failed` error naming why.
  caf::replies_to<resolve_atom, std::string>::with<proxy_settings>,
  /// Shared state changed (the bus): cached PAC and WPAD answers are dropped.
  caf::reacts_to<changed_atom>>;

/// The resolver's state: the resolution it drives.
struct proxy_resolver_state {
  std::unique_ptr<proxy_resolution> resolution;
  static inline const char* name = "proxy_resolver";
};

/// The options the agent runs its resolver with: the files under `p`, the
/// process's environment, the host's `fqdn`, PAC and WPAD files downloaded
/// with `trust` (short timeouts, 1 MiB at most) and evaluated out of process.
caf::expected<proxy_resolution_options> agent_proxy_options(const paths& p, const tls_trust& trust,
                                                            std::string fqdn);

/// The resolver over `options`, subscribed to `bus` (may be null). Spawn it
/// with `caf::detached`.
proxy_resolver_actor::behavior_type
proxy_resolver(proxy_resolver_actor::stateful_pointer<proxy_resolver_state> self,
               proxy_resolution_options options, std::shared_ptr<actor_bus> bus);

} // namespace vigil
