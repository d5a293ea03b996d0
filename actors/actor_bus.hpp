#pragma once

#include <caf/actor.hpp>
#include <caf/actor_control_block.hpp>
#include <caf/atom.hpp>
#include <mutex>
#include <vector>

namespace vigil {

using changed_atom = caf::atom_constant<caf::atom("changed")>;

/// Tells subscribed actors that shared state changed — the hive (from the
/// registry watcher's thread) or the profile (from the check-in actor) — so
/// they re-read what concerns them. Thread-safe. It holds its subscribers
/// weakly: a subscriber that is gone is dropped at the next publish (issue
/// 16, item 9), so restarts do not grow the list.
class actor_bus {
public:
  /// Adds `subscriber`; it receives `changed_atom` from now on.
  void subscribe(caf::actor subscriber);
  /// Sends `changed_atom` to every subscriber still alive, and forgets the
  /// others.
  void publish();
  /// How many subscribers are held (the dead ones until the next publish).
  size_t size();

private:
  std::mutex mutex_;
  std::vector<caf::weak_actor_ptr> subscribers_;
};

} // namespace vigil
