#pragma once

#include <caf/actor.hpp>
#include <caf/atom.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/fwd.hpp>
#include <caf/replies_to.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "common/backoff.hpp"

namespace vigil {

using restart_atom = caf::atom_constant<caf::atom("restart")>;

/// One child of the supervisor: its name and how to spawn it. `earlier` holds
/// the handles of the children listed before it (its dependencies: the
/// identity actor gets the transport), so a child can be started again with
/// the current handles of the ones it uses.
struct child_spec {
  std::string name;
  std::function<caf::actor(caf::local_actor* self, const std::vector<caf::actor>& earlier)> spawn;
};

/// The agent's supervisor (DESIGN.md): spawns its children in order and
/// monitors them. When a child dies of anything but a shutdown, it and every
/// child after it (they may hold its handle) are restarted — Erlang's
/// rest-for-one — after a capped, jittered backoff, so a child that keeps
/// crashing cannot spin the CPU.
using supervisor_actor = caf::typed_actor<
  /// Restarts the children from the named one on (used by the backoff timer).
  caf::reacts_to<restart_atom, std::string>,
  /// Answers how many times each child was started, in order.
  caf::replies_to<caf::get_atom>::with<std::vector<std::string>, std::vector<uint64_t>>>;

/// The supervisor's state.
struct supervisor_state {
  std::vector<child_spec> specs;
  std::vector<caf::actor> children;
  std::vector<uint64_t> starts;
  std::vector<unsigned> crashes;
  backoff_policy backoff;
  std::mt19937_64 random{std::random_device{}()};
  static inline const char* name = "supervisor";
};

/// The supervisor of `specs` (spawned in order at once).
supervisor_actor::behavior_type
supervisor(supervisor_actor::stateful_pointer<supervisor_state> self, std::vector<child_spec> specs,
           backoff_policy backoff);

} // namespace vigil
