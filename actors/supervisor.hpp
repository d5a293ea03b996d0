#pragma once

#include <caf/actor.hpp>
#include <caf/atom.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/fwd.hpp>
#include <caf/replies_to.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/expected.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <stdexcept>
#include <string_view>
#include <random>
#include <string>
#include <vector>

#include "common/backoff.hpp"

namespace vigil {

using restart_atom = caf::atom_constant<caf::atom("restart")>;
using heartbeat_atom = caf::atom_constant<caf::atom("heartbeat")>;

/// The handles of the supervisor's running children, by name (Tenzir's
/// `registry.find_by_label` is the model): a child finds the actors it talks
/// to by what they are, never by where they were listed.
class actor_registry {
public:
  /// The running child named `name`; an invalid handle when none runs.
  caf::actor find(std::string_view name) const;

  /// `find(name)` as the typed handle `Handle`. A child asks only for the
  /// children it declared in `depends_on`, which the supervisor starts first:
  /// a missing one is a wiring mistake, a broken invariant, and throws
  /// `std::logic_error` naming it (the supervisor dies of it, loudly).
  template <class Handle>
  Handle get(std::string_view name) const {
    auto handle = find(name);
    if (!handle)
      throw std::logic_error("no running actor named '" + std::string{name} + "'");
    return caf::actor_cast<Handle>(handle);
  }

  /// Records `handle` under `name` (invalid: forgets it).
  void set(const std::string& name, caf::actor handle);

private:
  std::map<std::string, caf::actor, std::less<>> running_;
};

/// One child of the supervisor: its name, the names of the children whose
/// handles it takes (its dependencies: the identity actor uses the
/// transport), and how to spawn it with the current handles of those.
struct child_spec {
  std::string name;
  std::vector<std::string> depends_on;
  std::function<caf::actor(caf::local_actor* self, const actor_registry& running)> spawn;
};

/// The order to start `specs` in: every child after all it depends on, and
/// otherwise in listing order. A dependency on a name no spec has, or a
/// cycle, is `ec::invalid_argument` naming it.
caf::expected<std::vector<size_t>> start_order(const std::vector<child_spec>& specs);

/// The children that must restart with `specs[index]`: itself and, in start
/// order, every child that depends on it directly or through another.
std::vector<size_t> restart_scope(const std::vector<child_spec>& specs,
                                  const std::vector<size_t>& order, size_t index);

/// The agent's supervisor (DESIGN.md): spawns its children, dependencies
/// first, and monitors them. When a child dies of anything but a shutdown, it
/// and every child that depends on it (they hold its handle) are restarted
/// after a capped, jittered backoff, so a child that keeps crashing cannot
/// spin the CPU; children that do not depend on it keep running. Wiring
/// mistakes (an unknown dependency, a cycle) stop the supervisor at once with
/// the error naming them.
using supervisor_actor = caf::typed_actor<
  /// Restarts the named child and its dependents (used by the backoff timer).
  caf::reacts_to<restart_atom, std::string>,
  /// Answers how many times each child was started, in listing order.
  caf::replies_to<caf::get_atom>::with<std::vector<std::string>, std::vector<uint64_t>>,
  /// A heartbeat through every running child (issue 16, item 8): answers
  /// once each has answered, within the given milliseconds, CAF's built-in `(sys, get, "info")`, i.e. has come back to its mailbox; a child wedged in a handler
  /// (or a detached one blocked) fails it with `ec::timeout` naming it. The
  /// systemd watchdog is pinged only after a heartbeat that came back.
  caf::replies_to<heartbeat_atom, uint32_t>::with<bool>>;

/// The supervisor's state.
struct supervisor_state {
  std::vector<child_spec> specs;
  std::vector<size_t> order;     ///< start order (indexes into specs)
  std::vector<caf::actor> children;
  actor_registry running;
  std::vector<uint64_t> starts;
  std::vector<unsigned> crashes;
  backoff_policy backoff;
  std::mt19937_64 random{std::random_device{}()};
  static inline const char* name = "supervisor";
};

/// Sends `supervisor` a heartbeat from outside the actors (the watchdog
/// thread) and waits up to twice `timeout` for it: whether every child
/// answered in time. A failure is logged naming the actor.
bool heartbeat(caf::actor_system& system, const supervisor_actor& supervisor,
               std::chrono::milliseconds timeout);

/// The supervisor of `specs` (spawned in order at once).
supervisor_actor::behavior_type
supervisor(supervisor_actor::stateful_pointer<supervisor_state> self, std::vector<child_spec> specs,
           backoff_policy backoff);

} // namespace vigil
