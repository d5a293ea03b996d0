#pragma once

#include <caf/fwd.hpp>
#include <caf/replies_to.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <functional>
#include <memory>
#include <random>

#include "actors/actor_bus.hpp"
#include "actors/blackout_gate.hpp"
#include "actors/message_types.hpp"
#include "actors/transport.hpp"
#include "common/backoff.hpp"
#include "storage/kv_store.hpp"

namespace vigil {

/// The uploader (SPEC §9): sends pending deltas in seq order, one at a time,
/// through the transport, which resumes each from the bytes the platform
/// already holds. It first asks the platform which seq it applies next and
/// then sends, acknowledges (the platform applied it and only the answer was
/// lost) or renumbers as a full snapshot (the platform's view is not our
/// baseline) — see `decide_upload`. The baseline advances only when the
/// platform acknowledged, in the batch that drops the delta from pending,
/// after which the bus is told (a module waiting on its pending delta scans).
/// Failures retry with capped exponential backoff and jitter.
using uploader_actor = caf::typed_actor<
  /// Looks at the pending deltas now (a delta was recorded, the start).
  caf::reacts_to<upload_atom>,
  /// The retry timer; only the latest `generation` counts.
  caf::reacts_to<upload_atom, uint64_t>,
  /// Something changed (a blackout window ended, the profile): look again.
  caf::reacts_to<changed_atom>>;

/// The uploader's state.
struct uploader_state {
  std::shared_ptr<kv_store> store;
  transport_actor transport;
  std::shared_ptr<actor_bus> bus;
  network_gate network_allowed;
  backoff_policy backoff;
  bool busy = false;       ///< a delta is on its way
  bool backing_off = false; ///< a retry timer is pending: nothing else starts an attempt
  unsigned failures = 0;   ///< consecutive failures, for the backoff
  uint64_t generation = 0; ///< of the pending retry timer
  std::mt19937_64 random{std::random_device{}()};
  static inline const char* name = "uploader";
};

/// The uploader over `store` and `transport`; subscribes itself to `bus`.
uploader_actor::behavior_type uploader(uploader_actor::stateful_pointer<uploader_state> self,
                                       std::shared_ptr<kv_store> store,
                                       transport_actor transport, std::shared_ptr<actor_bus> bus,
                                       network_gate network_allowed, backoff_policy backoff);

} // namespace vigil
