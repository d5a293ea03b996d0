#pragma once

#include <caf/actor.hpp>
#include <caf/atom.hpp>
#include <mutex>
#include <vector>

namespace vigil {

using changed_atom = caf::atom_constant<caf::atom("changed")>;

/// Tells subscribed actors that shared state changed — the hive (from the
/// registry watcher's thread) or the profile (from the check-in actor) — so
/// they re-read what concerns them. Thread-safe; dead subscribers are simply
/// not reached.
class actor_bus {
public:
  /// Adds `subscriber`; it receives `changed_atom` from now on.
  void subscribe(caf::actor subscriber);
  /// Sends `changed_atom` to every subscriber.
  void publish();

private:
  std::mutex mutex_;
  std::vector<caf::actor> subscribers_;
};

} // namespace vigil
