#include "actors/actor_bus.hpp"

#include <algorithm>
#include <caf/send.hpp>

namespace vigil {

void actor_bus::subscribe(caf::actor subscriber) {
  std::lock_guard guard{mutex_};
  subscribers_.push_back(caf::actor_cast<caf::weak_actor_ptr>(subscriber));
}

void actor_bus::publish() {
  std::lock_guard guard{mutex_};
  // A restarted actor subscribes again; its dead incarnation is gone from
  // the list at the next publish (the bus holds no strong reference, so a
  // dead actor's memory is not kept alive either).
  std::erase_if(subscribers_, [](const caf::weak_actor_ptr& s) {
    auto strong = s.lock();
    if (!strong)
      return true;
    caf::anon_send(caf::actor_cast<caf::actor>(strong), changed_atom::value);
    return false;
  });
}

size_t actor_bus::size() {
  std::lock_guard guard{mutex_};
  return subscribers_.size();
}

} // namespace vigil
