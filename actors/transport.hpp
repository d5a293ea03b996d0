#pragma once

#include <caf/fwd.hpp>
#include <caf/replies_to.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <tuple>

#include "actors/actor_bus.hpp"
#include "actors/blackout.hpp"
#include "actors/message_types.hpp"
#include "actors/proxy_resolver.hpp"
#include "net/platform_client.hpp"

namespace vigil {

/// The transport: every conversation with the platform goes through it, over
/// the proxy chain (DESIGN.md, actors). It runs detached, on its own thread,
/// which is where Asio runs: a slow platform or proxy never blocks a scheduler
/// thread, and requests from other actors are served one at a time.
using transport_actor = caf::typed_actor<
  /// Sends a request whose target is relative to the WebServiceUri, with the
  /// protocol and credential headers; answers any HTTP response, or the named
  /// transport error (proxy, TLS, timeout, refused).
  caf::replies_to<request_atom, http_request>::with<http_response>,
  /// Uploads an encoded delta `(module, seq, bytes, received)` resumably and
  /// exactly once, from `received`, the bytes the platform said it holds;
  /// answers (applied, duplicate, expected_seq, rows).
  caf::replies_to<upload_atom, std::string, uint64_t, std::string, uint64_t>::with<
    bool, bool, uint64_t, uint64_t>,
  /// Sets the HostID and agent token for the following requests.
  caf::reacts_to<credentials_atom, std::string, std::string>,
  /// Replaces the proxy settings; the next request uses them.
  caf::reacts_to<proxies_atom, proxy_settings>,
  /// Shared state changed (the actor bus): the WebServiceUri in the hive is
  /// read again and, when it changed, used from the next request on (SPEC §2:
  /// the agent reacts to the hive without a restart).
  caf::reacts_to<changed_atom>,
  /// Closes the connections kept alive past their keep-alive (the transport
  /// sends it to itself after each request): an idle agent holds no socket.
  caf::reacts_to<idle_atom>>;

/// The transport's state: the platform client it owns.
struct transport_state {
  std::unique_ptr<platform_client> client;
  /// Asked for the routes before every request, when valid (SPEC §10).
  proxy_resolver_actor resolver;
  /// The URL whose routes are asked for: the WebServiceUri.
  std::string target;
  /// Reads the WebServiceUri as the hive has it now (empty: fixed).
  std::function<caf::expected<std::string>()> web_service_uri;
  /// Set while a network blackout window is announced; an upload in progress
  /// stops before its next chunk (SPEC §9b). Written by the transport's
  /// blackout listener, read on the transport's thread between chunks: the
  /// transport is busy in the upload and cannot take a message then.
  std::shared_ptr<std::atomic<bool>> network_blocked = std::make_shared<std::atomic<bool>>(false);
  /// An `idle_atom` is on its way (one at a time).
  bool idle_check_pending = false;
  static inline const char* name = "transport";
};

/// The transport's behavior over `client`. Spawn it with `caf::detached`.
transport_actor::behavior_type
transport(transport_actor::stateful_pointer<transport_state> self, platform_client client);

/// The transport over `client`, asking `resolver` for the routes to `target`
/// (the WebServiceUri) before every request and upload, so proxy changes apply
/// to the next request. The two are linked: when either fails, both stop and
/// the supervisor restarts them. A resolver that names no route fails the
/// request with its `ec::all_routes_failed`; one that does not answer in time
/// leaves the last routes in use. With a valid `blackout`, an upload stops
/// between chunks when a network window starts (`ec::cancelled`). Spawn it
/// with `caf::detached`.
transport_actor::behavior_type
transport_with_resolver(transport_actor::stateful_pointer<transport_state> self,
                        platform_client client, proxy_resolver_actor resolver, std::string target,
                        blackout_actor blackout);

/// `transport_with_resolver` that, at each `changed_atom` (subscribe it to the
/// actor bus), reads the WebServiceUri with `web_service_uri` and moves to it
/// when it changed and is an https URL (a bad one is logged and ignored: the
/// platform stays reachable). Spawn it with `caf::detached`.
transport_actor::behavior_type
transport_following_hive(transport_actor::stateful_pointer<transport_state> self,
                         platform_client client, proxy_resolver_actor resolver,
                         std::string target, blackout_actor blackout,
                         std::function<caf::expected<std::string>()> web_service_uri);

} // namespace vigil
