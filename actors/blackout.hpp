#pragma once

#include <caf/atom.hpp>
#include <caf/fwd.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/replies_to.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "actors/actor_bus.hpp"
#include "actors/blackout_logic.hpp"
#include "storage/kv_store.hpp"

namespace vigil {

using blackout_query_atom = caf::atom_constant<caf::atom("bo_query")>;
using blackout_tick_atom = caf::atom_constant<caf::atom("bo_tick")>;
using blackout_resume_atom = caf::atom_constant<caf::atom("bo_resume")>;
using blackout_subscribe_atom = caf::atom_constant<caf::atom("bo_sub")>;
/// What the blackout actor pushes to its subscribers: `(blackout_atom,
/// blackout_answer)`.
using blackout_atom = caf::atom_constant<caf::atom("blackout")>;

/// `blackout_answer::*_until` while the windows cover the whole week: no end.
inline constexpr int64_t blackout_no_end = std::numeric_limits<int64_t>::max();

/// The blackout actor's answer to `blackout_query_atom`: the schedule now
/// (SPEC §9b), times in Unix seconds so the message stays plain values.
struct blackout_answer {
  /// No network window covers now: check-in, upload and download may go.
  bool network_allowed = true;
  /// No collection window covers now: scheduled scans may start.
  bool collection_allowed = true;
  /// While the network is blocked: when the merged blocking period ends
  /// (`blackout_no_end` when windows cover the whole week); 0 while allowed.
  int64_t network_until = 0;
  /// The same for collection.
  int64_t collection_until = 0;
  /// When the next network blocking period starts (after the current one
  /// while blocked); 0 when none is scheduled.
  int64_t next_network_start = 0;
  /// The same for collection.
  int64_t next_collection_start = 0;

  friend bool operator==(const blackout_answer&, const blackout_answer&) = default;
};

/// Lets `blackout_answer` travel in CAF messages.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, blackout_answer& x) {
  return f(caf::meta::type_name("blackout_answer"), x.network_allowed, x.collection_allowed,
           x.network_until, x.collection_until, x.next_network_start, x.next_collection_start);
}

/// `status` as the actor answers it.
blackout_answer to_answer(const blackout_status& status);

/// The blackout schedule (SPEC §9b), the agent's one source of it. Reads the
/// windows from the stored profile at start and on every `changed_atom` from
/// the actor_bus (it subscribes itself), and pushes `(blackout_atom,
/// blackout_answer)` to its subscribers (check-in, uploader, modules) when
/// they subscribe and whenever what they may do changes: at once when a
/// blocking period starts (so a transfer in progress can stop between
/// chunks), and, for the network, after a random jitter below one minute when
/// one ends (so a fleet's first contacts spread out). Subscribers act on the
/// latest push; nobody re-reads the profile or asks on every step. Timers use
/// the actor clock, so virtual-time tests cover every window.
using blackout_actor = caf::typed_actor<
  /// Answers what the subscribers were last told, with the times of now.
  caf::replies_to<blackout_query_atom>::with<blackout_answer>,
  /// Adds a subscriber (monitored, dropped when it dies) and tells it the
  /// state now.
  caf::reacts_to<blackout_subscribe_atom, caf::actor>,
  /// Re-reads the profile's windows (a no-op when the stored profile is
  /// unchanged), then re-evaluates the schedule.
  caf::reacts_to<changed_atom>,
  /// The timer at the next window boundary; only the latest `generation`
  /// counts (each evaluation replaces the pending timer).
  caf::reacts_to<blackout_tick_atom, uint64_t>,
  /// The jittered end of a network blocking period: tells the subscribers.
  caf::reacts_to<blackout_resume_atom>>;

/// Whether `handle`, the blackout actor an actor was given, lets it transmit
/// now, `latest` being the last push it received: with no blackout actor
/// (tests of other concerns) always; before the first push, not yet.
inline bool network_allowed_by(const blackout_actor& handle,
                               const std::optional<blackout_answer>& latest) {
  return !handle || (latest && latest->network_allowed);
}

/// The same for scheduled scans.
inline bool collection_allowed_by(const blackout_actor& handle,
                                  const std::optional<blackout_answer>& latest) {
  return !handle || (latest && latest->collection_allowed);
}

/// How the blackout actor tells time; the defaults are production's.
struct blackout_options {
  /// The wall clock the windows are evaluated against. Timers use the actor
  /// clock (virtual under CAF's test scheduler); tests make this follow it.
  std::function<blackout_clock::time_point()> now = [] { return blackout_clock::now(); };
  /// The zone of windows without `time_zone`; empty: `host_time_zone()`.
  std::string host_zone;
  /// Seeds the resume jitter; empty: `std::random_device`.
  std::optional<uint64_t> seed;
  /// The longest timer: the schedule is re-evaluated at least this often,
  /// because the wall clock can jump (NTP, suspend) while the actor clock
  /// does not.
  std::chrono::seconds max_timer{900};
};

/// The blackout actor's state.
struct blackout_state {
  std::shared_ptr<kv_store> store;
  std::shared_ptr<actor_bus> bus;
  blackout_options options;
  blackout_schedule schedule;
  std::optional<std::string> profile_body; ///< what `schedule` was built from
  bool network_blocked = false;            ///< at the last evaluation
  /// What the subscribers were told of the network: blocked from a window's
  /// start until the jittered resume after its end.
  bool network_announced_blocked = false;
  std::vector<caf::actor> subscribers;
  bool collection_blocked = false;         ///< at the last evaluation
  bool resume_pending = false;             ///< a jittered announcement is on its way
  uint64_t generation = 0;                 ///< of the pending timer
  /// When the pending timer fires, by the wall clock; empty: none pending.
  std::optional<blackout_clock::time_point> timer_due;
  std::mt19937_64 random;
  static inline const char* name = "blackout";
};

/// The blackout actor; reads the profile from `store` (column "config", key
/// `checkin_keys::profile`) and subscribes itself to `bus`.
blackout_actor::behavior_type blackout(blackout_actor::stateful_pointer<blackout_state> self,
                                       std::shared_ptr<kv_store> store,
                                       std::shared_ptr<actor_bus> bus, blackout_options options);

} // namespace vigil
