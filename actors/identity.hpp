#pragma once

#include <caf/atom.hpp>
#include <caf/fwd.hpp>
#include <caf/replies_to.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <memory>
#include <random>
#include <string>

#include "actors/identity_logic.hpp"
#include "actors/transport.hpp"
#include "common/backoff.hpp"
#include "host/hive_store.hpp"
#include "protocol/provision.hpp"
#include "storage/kv_store.hpp"

namespace vigil {

using provision_atom = caf::atom_constant<caf::atom("provision")>;
using reprovision_atom = caf::atom_constant<caf::atom("reprov")>;
using identity_subscribe_atom = caf::atom_constant<caf::atom("id_sub")>;
/// What the identity actor tells its subscribers: `(provisioned_atom, HostID)`.
using provisioned_atom = caf::atom_constant<caf::atom("provd")>;

/// Identity and provisioning (SPEC §6 steps 2-3): provisions the HostID with
/// the platform through the transport, retrying with capped exponential
/// backoff and jitter while the platform is unreachable, obeying a
/// re-provision order with a new HostID, and handing the agent token to the
/// transport once it has one.
using identity_actor = caf::typed_actor<
  /// Tries to provision now unless already provisioned or trying.
  caf::reacts_to<provision_atom>,
  /// The platform's `reprovision` order: a new HostID, no token, provision
  /// again. Answers the new HostID once it is written.
  caf::replies_to<reprovision_atom>::with<std::string>,
  /// Adds a subscriber: told `(provisioned_atom, HostID)` once the agent is
  /// provisioned (at once when it already is), so nobody polls for it.
  caf::reacts_to<identity_subscribe_atom, caf::actor>,
  /// Answers (HostID, provisioned).
  caf::replies_to<caf::get_atom>::with<std::string, bool>>;

/// What the identity actor needs to know, fixed at spawn.
struct identity_config {
  std::string customer_id;
  std::string activation_id;
  std::string agent_version;
  protocol::host_inventory inventory;
  backoff_policy backoff;
  /// Seals the token at rest (`store_token`); null: stored in clear (tests).
  std::shared_ptr<const secret_box> token_box;
};

/// The identity actor's state.
struct identity_state {
  agent_identity identity;
  identity_config config;
  std::shared_ptr<hive_store> hive;
  std::shared_ptr<kv_store> store;
  transport_actor transport;
  unsigned failures = 0;
  bool provisioned = false;
  bool in_flight = false;
  std::vector<caf::actor> subscribers; ///< told when provisioned
  std::mt19937_64 random{std::random_device{}()};
  static inline const char* name = "identity";
};

/// The identity actor, starting from an `identity` established by
/// `establish_identity` (provisions at once when it has no token).
identity_actor::behavior_type
identity(identity_actor::stateful_pointer<identity_state> self, agent_identity identity,
         identity_config config, std::shared_ptr<hive_store> hive,
         std::shared_ptr<kv_store> store, transport_actor transport);

} // namespace vigil
