#pragma once

#include <caf/atom.hpp>
#include <caf/fwd.hpp>
#include <caf/replies_to.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <atomic>
#include <memory>
#include <optional>
#include <string>

#include <caf/actor_clock.hpp>
#include <functional>

#include "actors/actor_bus.hpp"
#include "actors/blackout.hpp"
#include "actors/delta.hpp"
#include "actors/hive_writer.hpp"
#include "protocol/manifest.hpp"
#include "actors/module_logic.hpp"
#include "host/hive_store.hpp"
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
/// `<state>/snapshots/<Module>.jsonl` (what `vigil-agent snapshot` prints)
/// and handed to the delta actor; the scan completes (ScanOnDemand 0, the
/// interval restarts) once its delta is recorded. No scan starts while the
/// module has a delta pending upload (SPEC §8, §9): a request stays 1 until
/// the uploader's acknowledgement opens the gate (announced on the bus). A
/// scan interrupted by a crash is run again at the next start. Inside a
/// blackout window with `collection` on, scheduled scans wait (SPEC §9b).
using module_actor = caf::typed_actor<
  /// Re-reads hive and profile: an on-demand request, a profile change.
  caf::reacts_to<changed_atom>,
  /// Looks at the schedule now: starts a scheduled scan when one is due.
  caf::reacts_to<check_atom>,
  /// The schedule's timer; only the latest `generation` counts (each check
  /// replaces the pending timer, so timers never pile up).
  caf::reacts_to<check_atom, uint64_t>,
  /// The blackout actor's latest state: scheduled scans wait inside
  /// collection windows.
  caf::reacts_to<blackout_atom, blackout_answer>>;

/// Starts the worker that runs one scan and answers `(run_atom)` with the
/// snapshot (`snapshot_ptr`), or `ec::cancelled` once `stop` is set (the
/// module stopped). Production spawns a detached actor calling
/// `run_manifest_until` that also writes the snapshot file; tests pass one
/// they control. The module links itself to the worker.
using scan_launcher = std::function<caf::actor(
  caf::local_actor* self, const protocol::manifest& manifest, uint32_t cpu_limit,
  std::shared_ptr<const std::atomic<bool>> stop)>;

using run_atom = caf::atom_constant<caf::atom("run")>;

/// The production launcher: a detached worker running `run_manifest` under
/// `root_paths`.
scan_launcher detached_scan_launcher(paths root_paths);

/// A module actor's state. Times are the actor clock's (virtual under CAF's
/// test scheduler), so the schedule is tested without waiting.
/// What the profile says about a module (Inventory is always on, SPEC §6).
struct module_settings {
  bool activated = false;
  std::chrono::seconds interval{4 * 3600};
  uint32_t cpu_limit = 100;
};

struct module_state {
  std::string module;
  /// From the stored profile, read at start and at each `changed_atom` (the
  /// check-in actor publishes every profile it stores): timers and requests
  /// use it without parsing the profile again.
  module_settings settings;
  paths root_paths{"/"};
  std::shared_ptr<kv_store> store;
  std::shared_ptr<hive_store> hive;
  delta_actor delta;
  /// Writes ScanOnDemand off the scheduler; invalid: written in place.
  hive_writer_actor hive_writer;
  blackout_actor blackout;                ///< pushes the windows; invalid: no windows
  std::optional<blackout_answer> windows; ///< its latest push
  bool scanning = false;
  uint64_t generation = 0; ///< of the pending schedule timer
  std::optional<caf::actor_clock::time_point> last_scan_end;
  /// After a scan that could not be recorded: no new scan before this.
  std::optional<caf::actor_clock::time_point> retry_after;
  scan_launcher launcher;
  /// Set when the module stops: its scan worker stops at its next item
  /// instead of outliving it (and the agent's shutdown).
  std::shared_ptr<std::atomic<bool>> stop_scans = std::make_shared<std::atomic<bool>>(false);
  static inline const char* name = "module";
};

/// The path of a module's latest snapshot.
std::filesystem::path snapshot_file(const paths& p, const std::string& module);

/// The actor for `module`; subscribes itself to `bus` and to `blackout`
/// (invalid: no collection windows), and writes the hive through
/// `hive_writer` (invalid: in place, on the actor's thread).
module_actor::behavior_type module(module_actor::stateful_pointer<module_state> self,
                                   std::string module, paths root_paths,
                                   std::shared_ptr<kv_store> store,
                                   std::shared_ptr<hive_store> hive,
                                   std::shared_ptr<actor_bus> bus, delta_actor delta,
                                   scan_launcher launcher, blackout_actor blackout,
                                   hive_writer_actor hive_writer);

} // namespace vigil
