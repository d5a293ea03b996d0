#pragma once

#include <caf/atom.hpp>
#include <caf/fwd.hpp>
#include <caf/replies_to.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <memory>
#include <string>
#include <vector>

#include "actors/identity.hpp"
#include "actors/protector.hpp"
#include "actors/message_types.hpp"
#include "common/signed_document.hpp"
#include "host/hive_store.hpp"
#include "host/paths.hpp"
#include "storage/kv_store.hpp"

namespace vigil {

using orders_atom = caf::atom_constant<caf::atom("orders")>;

/// The platform's orders, carried out exactly once (SPEC §16, issue 14). Each
/// check-in's answer brings every order the platform has not seen
/// acknowledged, signed with the root key pinned at install: an order that
/// does not verify for this HostID is refused (and acknowledged as refused,
/// so the platform shows why), never carried out. Before acting, the order's
/// record says "started" (synced); after, "done" with its result; an order
/// delivered again after that is acknowledged again, never repeated. A crash
/// between the two repeats only what is safe to repeat (scan, self_protection,
/// uninstall) and reports the rest (reprovision) as interrupted. The
/// acknowledgements ride on the next check-in until the platform stops
/// delivering the order. `uninstall` runs vigil-uninstall (in its own
/// session) once the platform has its acknowledgement, since the agent is gone
/// after. Spawn it detached: it writes the hive and the store.
using orders_actor = caf::typed_actor<
  /// The signed orders of the latest check-in answer (possibly none), and
  /// this agent's HostID.
  caf::reacts_to<orders_atom, std::string, std::vector<std::string>>,
  /// Answers the acknowledgements the next check-in carries.
  caf::replies_to<caf::get_atom>::with<std::vector<protocol::order_ack>>>;

/// The orders actor's state.
struct orders_state {
  paths root_paths{"/"};
  std::shared_ptr<kv_store> store;
  std::shared_ptr<hive_store> hive;
  std::shared_ptr<const trusted_keys> keys;
  identity_actor identity;
  protector_actor protector;
  static inline const char* name = "orders";
};

/// The orders actor: verifies against `keys` (null: every order is refused),
/// records in `store`, writes `hive`, re-provisions through `identity`, turns
/// self-protection on or off through `protector`.
orders_actor::behavior_type orders(orders_actor::stateful_pointer<orders_state> self,
                                   paths root_paths, std::shared_ptr<kv_store> store,
                                   std::shared_ptr<hive_store> hive,
                                   std::shared_ptr<const trusted_keys> keys,
                                   identity_actor identity, protector_actor protector);

} // namespace vigil
