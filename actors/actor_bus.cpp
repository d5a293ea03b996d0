#include "actors/actor_bus.hpp"

#include <algorithm>
#include <caf/send.hpp>

namespace vigil {

void actor_bus::subscribe(caf::actor subscriber) {
  std::lock_guard guard{mutex_};
  // A restarted actor subscribes again; messages to the dead incarnation are
  // dropped by CAF, and restarts are rare, so the list is not pruned.
  subscribers_.push_back(std::move(subscriber));
}

void actor_bus::publish() {
  std::lock_guard guard{mutex_};
  for (auto& s : subscribers_)
    caf::anon_send(s, changed_atom::value);
}

} // namespace vigil
