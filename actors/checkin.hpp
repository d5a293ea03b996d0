#pragma once

#include <caf/atom.hpp>
#include <caf/fwd.hpp>
#include <caf/replies_to.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "actors/actor_bus.hpp"
#include "actors/blackout.hpp"
#include "actors/identity.hpp"
#include "actors/orders.hpp"
#include "actors/protector.hpp"
#include "actors/selfpatch.hpp"
#include "actors/transport.hpp"
#include "common/signed_document.hpp"
#include "protocol/profile.hpp"
#include "storage/kv_store.hpp"

namespace vigil {

using tick_atom = caf::atom_constant<caf::atom("tick")>;

/// The check-in loop, "CAPI" (SPEC §6 step 4): every `capi_interval_s` it
/// checks in, fetches the profile when its ETag changed (persisting it so a
/// restart without network works from the last one), applies it live (log
/// level, interval), fetches the manifests of activated modules (verified
/// against the pinned root key, cached by version in the store) and receives
/// the platform's orders. Inside a network
/// blackout window (SPEC §9b) it does not contact the platform; it checks in
/// when the blackout actor announces the window's end.
using checkin_actor = caf::typed_actor<
  /// Checks in now (an administrator's action, or the start).
  caf::reacts_to<tick_atom>,
  /// The timer: checks in if `generation` is still the current schedule (a
  /// profile with a new interval reschedules, making older timers stale).
  caf::reacts_to<tick_atom, uint64_t>,
  /// Something changed on the bus: checks in if one was skipped and may go.
  caf::reacts_to<changed_atom>,
  /// The identity actor provisioned this HostID: a check-in waiting for it goes.
  caf::reacts_to<provisioned_atom, std::string>,
  /// The blackout actor's latest state: a check-in skipped for a window goes
  /// once the network is allowed again.
  caf::reacts_to<blackout_atom, blackout_answer>,
  /// Answers (profile ETag, unix time of the last successful check-in).
  caf::replies_to<caf::get_atom>::with<std::string, int64_t>>;

/// Keys of the store's columns the check-in keeps.
namespace checkin_keys {
inline constexpr const char* profile = "profile";           ///< config: profile JSON
inline constexpr const char* last_checkin = "checkin.last"; ///< meta: unix seconds
inline constexpr const char* last_error = "checkin.error";  ///< meta: why the last one failed
} // namespace checkin_keys

/// The check-in actor's state.
struct checkin_state {
  std::shared_ptr<kv_store> store;
  transport_actor transport;
  identity_actor identity;
  std::optional<protocol::profile> profile;
  std::string agent_version;
  int64_t last_checkin = 0;
  bool in_flight = false;
  uint64_t generation = 0; ///< of the pending timer
  std::shared_ptr<actor_bus> bus; ///< told when the profile or a manifest changes
  blackout_actor blackout;        ///< pushes the windows; invalid: no windows
  std::optional<blackout_answer> windows; ///< its latest push
  /// The pinned root (DESIGN "One trust root"); null: none pinned, so no
  /// manifest is accepted.
  std::shared_ptr<const trusted_keys> keys;
  /// Told of the release the platform offers; asked for the upgrade report
  /// each check-in carries. Invalid: no self-patching.
  selfpatch_actor selfpatch;
  /// Given every answer's signed orders; asked for the acknowledgements each
  /// check-in carries. Invalid: orders are not carried out.
  orders_actor orders;
  /// Asked for the tamper events each check-in carries, told which the
  /// platform took, and told when the profile asks for self-protection.
  /// Invalid: no self-protection.
  protector_actor protector;
  bool skipped_for_blackout = false; ///< a check-in waits for a window's end
  bool waiting_for_identity = false; ///< a check-in waits for provisioning
  static inline const char* name = "checkin";
};

/// The check-in actor; starts from the profile persisted in `store`, if any.
/// Manifests are accepted only signed by one of `keys` (null: none pinned):
/// anything else is refused, logged and reported, and the last good manifest
/// stays in use.
checkin_actor::behavior_type checkin(checkin_actor::stateful_pointer<checkin_state> self,
                                     std::shared_ptr<kv_store> store, transport_actor transport,
                                     identity_actor identity, std::string agent_version,
                                     std::shared_ptr<actor_bus> bus, blackout_actor blackout,
                                     std::shared_ptr<const trusted_keys> keys,
                                     selfpatch_actor selfpatch, orders_actor orders,
                                     protector_actor protector);

} // namespace vigil
