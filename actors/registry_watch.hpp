#pragma once

#include <caf/atom.hpp>
#include <caf/fwd.hpp>
#include <caf/replies_to.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "host/hive_watch.hpp"

namespace vigil {

using poll_atom = caf::atom_constant<caf::atom("poll")>;

/// Watches the hive (SPEC §2: the agent reacts within one second, without a
/// restart) and hands every batch of changes to its subscribers. It runs
/// detached because each poll waits on inotify for up to `poll_interval`.
using registry_watch_actor = caf::typed_actor<
  /// Waits for changes once, reports them, and schedules the next poll.
  caf::reacts_to<poll_atom>>;

/// Receives the changes and the hive as it is now.
using hive_subscriber = std::function<void(const std::vector<hive_change>&, const hive&)>;

/// The registry watcher's state.
struct registry_watch_state {
  std::unique_ptr<hive_watch> watch;
  std::vector<hive_subscriber> subscribers;
  std::chrono::milliseconds poll_interval{250};
  static inline const char* name = "registry_watch";
};

/// The watcher over `watch`, calling `subscribers` (from its own thread).
registry_watch_actor::behavior_type
registry_watch(registry_watch_actor::stateful_pointer<registry_watch_state> self,
               std::shared_ptr<hive_watch> watch, std::vector<hive_subscriber> subscribers);

/// A subscriber applying `Logs\TraceLevel` to the process's log manager.
hive_subscriber trace_level_subscriber();

} // namespace vigil
