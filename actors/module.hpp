#pragma once

#include <caf/atom.hpp>
#include <caf/fwd.hpp>
#include <caf/replies_to.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <memory>
#include <optional>
#include <string>

#include "actors/actor_bus.hpp"
#include "actors/module_logic.hpp"
#include "host/hive_file.hpp"
#include "host/paths.hpp"
#include "storage/kv_store.hpp"

namespace vigil {

using check_atom = caf::atom_constant<caf::atom("check")>;

/// One scan module (SPEC §7-8: Inventory, Vulnerability, PolicyCompliance,
/// UDC, SCA): runs its manifest's collectors on the profile's schedule, on
/// demand (`ScanOnDemand` 1 -> 2 -> 0 in the hive) and at start-up
/// (`ScanOnStartup`), each scan in a detached worker that keeps its CPU time
/// within the limit (the profile's for scheduled scans, `CpuLimit` for the
/// others). The snapshot is written atomically to
/// `<state>/snapshots/<Module>.jsonl` (what `vigil-agent snapshot` prints).
using module_actor = caf::typed_actor<
  /// Re-reads hive and profile: an on-demand request, a profile change.
  caf::reacts_to<changed_atom>,
  /// Looks at the schedule now: starts a scheduled scan when one is due.
  caf::reacts_to<check_atom>,
  /// The schedule's timer; only the latest `generation` counts (each check
  /// replaces the pending timer, so timers never pile up).
  caf::reacts_to<check_atom, uint64_t>>;

/// A module actor's state.
struct module_state {
  std::string module;
  paths root_paths{"/"};
  std::shared_ptr<kv_store> store;
  std::shared_ptr<hive_file> hive;
  bool scanning = false;
  uint64_t generation = 0; ///< of the pending schedule timer
  std::optional<std::chrono::system_clock::time_point> last_scan_end;
  static inline const char* name = "module";
};

/// The path of a module's latest snapshot.
std::filesystem::path snapshot_file(const paths& p, const std::string& module);

/// The actor for `module`; subscribes itself to `bus`.
module_actor::behavior_type module(module_actor::stateful_pointer<module_state> self,
                                   std::string module, paths root_paths,
                                   std::shared_ptr<kv_store> store,
                                   std::shared_ptr<hive_file> hive,
                                   std::shared_ptr<actor_bus> bus);

} // namespace vigil
