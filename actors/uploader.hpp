#pragma once

#include <caf/fwd.hpp>
#include <caf/replies_to.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>

#include "actors/actor_bus.hpp"
#include "actors/blackout.hpp"
#include "actors/message_types.hpp"
#include "actors/transport.hpp"
#include "common/backoff.hpp"
#include "storage/kv_store.hpp"

namespace vigil {

/// The uploader (SPEC §9): sends each module's pending deltas in seq order,
/// one at a time per module, through the transport, which resumes each from
/// the bytes the platform already holds. Modules progress independently: one
/// whose uploads keep failing backs off alone and never holds up the others.
/// For each delta it first asks the platform which seq it applies next and
/// then sends, acknowledges (the platform applied it and only the answer was
/// lost) or renumbers as a full snapshot (the platform's view is not our
/// baseline) — see `decide_upload`. The baseline advances only when the
/// platform acknowledged, in the batch that drops the delta from pending,
/// after which the bus is told (a module waiting on its pending delta scans).
/// Failures retry with capped exponential backoff and jitter, per module.
/// Inside a network blackout window nothing is sent; an upload in progress
/// stops between two chunks and resumes when the window's end is announced.
using uploader_actor = caf::typed_actor<
  /// Looks at the pending deltas now (a delta was recorded, the start).
  caf::reacts_to<upload_atom>,
  /// A module's retry timer; only its latest `generation` counts.
  caf::reacts_to<upload_atom, std::string, uint64_t>,
  /// Something changed (the profile): look again.
  caf::reacts_to<changed_atom>,
  /// The blackout actor's latest state: uploads wait inside network windows.
  caf::reacts_to<blackout_atom, blackout_answer>>;

/// Where one module's uploads stand.
struct module_upload {
  bool busy = false;        ///< its head delta is on its way
  bool backing_off = false; ///< a retry timer is pending: nothing else starts an attempt
  unsigned failures = 0;    ///< consecutive failures, for the backoff
  uint64_t generation = 0;  ///< of the pending retry timer
};

/// The uploader's state.
struct uploader_state {
  std::shared_ptr<kv_store> store;
  transport_actor transport;
  std::shared_ptr<actor_bus> bus;
  blackout_actor blackout;                ///< pushes the windows; invalid: no windows
  std::optional<blackout_answer> windows; ///< its latest push
  backoff_policy backoff;
  /// Per module; the entry "" stands for reading the pending set itself.
  std::map<std::string, module_upload> modules;
  std::mt19937_64 random{std::random_device{}()};
  static inline const char* name = "uploader";
};

/// The uploader over `store` and `transport`; subscribes itself to `bus`.
uploader_actor::behavior_type uploader(uploader_actor::stateful_pointer<uploader_state> self,
                                       std::shared_ptr<kv_store> store,
                                       transport_actor transport, std::shared_ptr<actor_bus> bus,
                                       blackout_actor blackout, backoff_policy backoff);

/// The uploader as the agent runs it: detached, on a thread of its own. Its
/// handlers do the store's synced batches (an acknowledgement applies a
/// delta to the baseline; a renumbering re-encodes the whole snapshot) and
/// must not hold one of the two scheduler threads while they do (issue 16,
/// item 1): check-ins and module timers keep their schedule meanwhile.
uploader_actor spawn_uploader(caf::actor_system& system, std::shared_ptr<kv_store> store,
                              transport_actor transport, std::shared_ptr<actor_bus> bus,
                              blackout_actor blackout, backoff_policy backoff);

} // namespace vigil
