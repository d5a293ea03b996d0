#pragma once

#include <caf/fwd.hpp>
#include <caf/replies_to.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <memory>
#include <string>

#include "actors/message_types.hpp"
#include "storage/kv_store.hpp"

namespace vigil {

/// Keys of the scan bookkeeping in the store's `meta` column.
namespace scan_keys {
/// Unix seconds of the module's last completed scan (its delta recorded).
std::string last_end(const std::string& module);
/// Present while a scan of the module runs: a restart finding it knows the
/// scan never completed and scans again at once.
std::string started(const std::string& module);
} // namespace scan_keys

/// Delta calculation (SPEC §9): diffs a module's finished scan against the
/// baseline the platform acknowledged and records the pending delta, the
/// scan's end time and its completion in one synced batch (`record_delta`),
/// then tells the uploader. One at a time, in arrival order: each module has
/// at most one scan in flight, so modules never race for a baseline. Spawn it
/// detached: a diff of a large snapshot must not hold a scheduler thread.
using delta_actor = caf::typed_actor<
  /// Records the delta of `(module, manifest version, rows)`; answers the
  /// pending delta's seq, or 0 when nothing changed.
  caf::replies_to<record_atom, std::string, int64_t, snapshot_ptr>::with<uint64_t>>;

/// The delta actor's state.
struct delta_state {
  std::shared_ptr<kv_store> store;
  caf::actor uploader; ///< told `upload_atom` after each recorded delta; may be null
  static inline const char* name = "delta";
};

/// The delta actor over `store`, waking `uploader` (when valid) after each
/// recorded delta.
delta_actor::behavior_type delta(delta_actor::stateful_pointer<delta_state> self,
                                 std::shared_ptr<kv_store> store, caf::actor uploader);

} // namespace vigil
