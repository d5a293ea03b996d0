#pragma once

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>
#include <caf/fwd.hpp>
#include <caf/replies_to.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <memory>
#include <string>

#include "host/hive_store.hpp"

namespace vigil {

using hive_update_atom = caf::atom_constant<caf::atom("hive_upd")>;

/// Writes the hive for actors that run on the scheduler's threads (issue 16,
/// item 1): a write takes the hive's file lock, which another process
/// (vigil-reg, an administrator's script) may hold for up to the lock's
/// 30 s, then renames and fsyncs. Spawned detached, it does that on its own
/// thread, one update at a time in the order sent, so a module's schedule
/// and the other actors never wait on the file. A failed update is logged
/// with what it was for.
using hive_writer_actor = caf::typed_actor<
  /// Applies the change under the hive's lock; `what` names it in a failure
  /// ("ScanOnDemand of Vulnerability").
  caf::reacts_to<hive_update_atom, hive_store::change, std::string>,
  /// Answers once every update sent before it is done (tests wait on it).
  caf::replies_to<caf::get_atom>::with<bool>>;

struct hive_writer_state {
  std::shared_ptr<hive_store> hive;
  static inline const char* name = "hive_writer";
};

/// The writer of `hive`. Spawn it detached.
hive_writer_actor::behavior_type hive_writer(hive_writer_actor::stateful_pointer<hive_writer_state> self,
                                             std::shared_ptr<hive_store> hive);

/// Applies `change` to `hive` through `writer` when it is valid, else at once
/// on the calling thread (tests without a writer).
void update_hive(const hive_writer_actor& writer, hive_store& hive, hive_store::change change,
                 std::string what);

} // namespace vigil

// A change travels only between actors of this process, never serialized.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vigil::hive_store::change)
