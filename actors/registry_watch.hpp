#pragma once

#include <caf/atom.hpp>
#include <caf/fwd.hpp>
#include <caf/replies_to.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "host/hive_store.hpp"

namespace vigil {

using reported_atom = caf::atom_constant<caf::atom("reported")>;

/// Receives the changes and the hive as it is now.
using hive_subscriber = std::function<void(const std::vector<hive_change>&, const hive&)>;

/// Watches the hive (SPEC §2: the agent reacts within one second, without a
/// restart) and hands every batch of changes to its subscribers. The waiting
/// happens on a thread of its own, blocked on inotify without a timeout, so
/// an idle agent is not woken by it (the old watcher polled 4 times a
/// second); the actor owns that thread and stops it when it ends.
using registry_watch_actor = caf::typed_actor<
  /// How many batches of changes it has handed to the subscribers.
  caf::replies_to<reported_atom>::with<uint64_t>>;

/// The thread that waits on a hive_watch and calls the subscribers; stops
/// and joins it on destruction.
class hive_watch_thread {
public:
  hive_watch_thread(std::shared_ptr<hive_watcher> watch, std::vector<hive_subscriber> subscribers);
  ~hive_watch_thread();
  hive_watch_thread(const hive_watch_thread&) = delete;
  hive_watch_thread& operator=(const hive_watch_thread&) = delete;

  /// How many batches of changes the subscribers got.
  uint64_t reported() const noexcept { return reported_->load(); }

private:
  std::shared_ptr<hive_watcher> watch_;
  std::shared_ptr<std::atomic<uint64_t>> reported_ = std::make_shared<std::atomic<uint64_t>>(0);
  std::thread thread_;
};

/// The registry watcher's state.
struct registry_watch_state {
  std::unique_ptr<hive_watch_thread> watcher;
  static inline const char* name = "registry_watch";
};

/// The watcher over `watch`, calling `subscribers` (from its own thread).
registry_watch_actor::behavior_type
registry_watch(registry_watch_actor::stateful_pointer<registry_watch_state> self,
               std::shared_ptr<hive_watcher> watch, std::vector<hive_subscriber> subscribers);

/// A subscriber applying `Logs\TraceLevel` to the process's log manager.
hive_subscriber trace_level_subscriber();

} // namespace vigil
