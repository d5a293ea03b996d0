#pragma once

#include <caf/atom.hpp>
#include <caf/fwd.hpp>
#include <caf/replies_to.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <chrono>
#include <cstdint>
#include <memory>

#include "actors/actor_bus.hpp"
#include "host/agent_status.hpp"
#include "host/paths.hpp"

namespace vigil {

using status_flush_atom = caf::atom_constant<caf::atom("st_flush")>;

/// The status actor (DESIGN: "status"): the agent's status lives in memory
/// (a `status_board` every actor records into without blocking), and this
/// actor writes it to `<state>/agent-status.json` for vigil-healthcheck —
/// debounced, so a burst of changes costs one write, and on its own thread
/// (spawn it detached), so the file lock, the rename and the fsyncs never
/// run on a scheduler thread. Asked to exit, it writes the final status first.
using status_actor = caf::typed_actor<
  /// The board changed: a write follows within the debounce interval.
  caf::reacts_to<changed_atom>,
  /// The debounce timer: writes the board if the file is behind it.
  caf::reacts_to<status_flush_atom>,
  /// Answers the board version the file holds now (tests wait on it).
  caf::replies_to<caf::get_atom>::with<uint64_t>>;

/// The status actor's state.
struct status_state {
  paths root_paths{"/"};
  std::shared_ptr<status_board> board;
  std::chrono::milliseconds debounce{250};
  bool flush_pending = false;   ///< a flush timer is on its way
  uint64_t written_version = 0; ///< the board version the file holds
  bool written_once = false;    ///< the file was written by this actor
  static inline const char* name = "status";
};

/// The status actor writing `board` under `root_paths`, at most once per
/// `debounce`. Spawn it detached (it blocks on the file).
status_actor::behavior_type status_writer(status_actor::stateful_pointer<status_state> self,
                                          paths root_paths, std::shared_ptr<status_board> board,
                                          std::chrono::milliseconds debounce);

} // namespace vigil
