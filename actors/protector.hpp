#pragma once

#include <caf/atom.hpp>
#include <caf/fwd.hpp>
#include <caf/replies_to.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "actors/actor_bus.hpp"
#include "actors/message_types.hpp"
#include "host/hive.hpp"
#include "host/hive_store.hpp"
#include "host/paths.hpp"
#include "host/program_integrity.hpp"
#include "host/tamper_watch.hpp"
#include "storage/kv_store.hpp"

namespace vigil {

using protect_atom = caf::atom_constant<caf::atom("protect")>;
using tamper_atom = caf::atom_constant<caf::atom("tamper")>;
using tick_atom = caf::atom_constant<caf::atom("tick")>;

/// Self-protection (SPEC §13). While it is on, the protector
/// - compares the program files with setup's list (host/program_integrity)
///   and restores any that changed, woken at once by fanotify (which also
///   names the process that changed them) and at least every second;
/// - restores the protected hive values (HostID, CustomerId, ActivationId,
///   WebServiceUri, the protection state, the pinned key) when changed from
///   outside the agent;
/// - starts a new built-in supervisor when its own was killed (the two watch
///   each other; the supervisor restarts a killed agent at once);
/// - keeps the systemd drop-in that makes the unit refuse a manual stop and
///   restart always;
/// and writes every tamper event to the SelfProtection log and the tamper
/// journal, which check-in reports to the platform. It also carries out what
/// the platform asks (a profile or a signed order), since a value the agent
/// writes itself is not tampering. Spawn it detached: it blocks on fanotify.
/// Where the build cannot protect the agent (Windows, for now:
/// protector_host.hpp) it keeps protection off, says why once in its log and
/// the agent status, and answers every message as an unprotected agent.
using protector_actor = caf::typed_actor<
  /// One round: wait for changes (up to the tick), check, repair, report.
  /// Only the latest scheduled tick (its generation) runs a round.
  caf::reacts_to<tick_atom, uint64_t>,
  /// The platform asks for protection on or off (`true` from a signed order;
  /// `false` from the profile, which may only turn it on). Answers whether it
  /// is on now.
  caf::replies_to<protect_atom, bool, bool>::with<bool>,
  /// The tamper events the platform has not taken yet (at most 100), and
  /// whether self-protection is on now (the check-in reports both).
  caf::replies_to<tamper_atom>::with<std::vector<protocol::tamper_event>, bool>,
  /// The platform took the events up to this sequence number.
  caf::reacts_to<tamper_atom, uint64_t>,
  /// The hive changed (the actor bus): while protection is off, the
  /// protector looks at the hive only then, instead of every tick.
  caf::reacts_to<changed_atom>>;

/// How the protector runs; tests shorten the tick.
struct protector_options {
  /// The longest wait between two checks.
  std::chrono::milliseconds tick{1000};
  /// Whether to watch the built-in supervisor (the agent runs under it:
  /// `supervisor_pidfile_env` is set). Empty: not supervised by it.
  std::string supervisor_pidfile;
  /// Hive changes, when given: while protection is off the protector sleeps
  /// until one arrives (an idle agent is not woken every second to re-read
  /// the hive). Null: it reads the hive every tick, on or off.
  std::shared_ptr<actor_bus> bus;
};

/// The protector's state.
struct protector_state {
  paths root_paths{"/"};
  std::shared_ptr<kv_store> store;
  std::shared_ptr<hive_store> hive;
  std::string version;
  /// The pinned keys (null when none is pinned): the reference list of
  /// program files is checked against the signed release metadata with them.
  std::shared_ptr<const trusted_keys> keys;
  protector_options options;
  bool on = false;
  /// The generation of the latest scheduled tick: scheduling another makes
  /// every earlier one void, so exactly one chain of rounds runs (each 1 s or
  /// at once while on; while off, none, or one at an SPFKEY's expiry).
  uint64_t tick_generation = 0;
  int64_t off_until = 0;
  std::unique_ptr<tamper_watch> watch;
  std::optional<program_file_checker> files;
  std::optional<vigil::hive> baseline;
  /// The size and modification time of `release_metadata_file` when it was
  /// last checked against the reference list (checked again when they change
  /// or protection turns on; a stat per round, the file read only then).
  std::optional<std::pair<uintmax_t, std::filesystem::file_time_type>> checked_metadata;
  /// The reference list does not match the signed release metadata: program
  /// files are neither checked against it nor restored from the copy (it may
  /// be a forgery) until protection turns on again or the metadata changes.
  bool reference_forged = false;
  /// Changes fanotify reported and no check has explained yet.
  std::vector<file_change> recent;
  /// Why this build cannot protect the agent (protector_host.hpp), once
  /// protection was asked for and that was reported; empty: not reported.
  std::string unavailable;
  static inline const char* name = "protector";
};

/// The protector of the installation at `root_paths`, running `version`;
/// it keeps its baseline of protected values in `store` and checks the
/// program files' reference list against release metadata signed by `keys`.
protector_actor::behavior_type protector(protector_actor::stateful_pointer<protector_state> self,
                                         paths root_paths, std::shared_ptr<kv_store> store,
                                         std::shared_ptr<hive_store> hive, std::string version,
                                         std::shared_ptr<const trusted_keys> keys,
                                         protector_options options);

/// Checks the program files of `version` against setup's list and restores
/// those that changed, logging and journaling each (no process attribution):
/// what the built-in supervisor does before it starts the agent again while
/// self-protection is on. A list that does not match the release metadata
/// signed by `keys` is reported and nothing is restored from it. Returns how
/// many files were found changed.
size_t repair_program_files(const paths& p, const std::string& version,
                            const trusted_keys* keys);

} // namespace vigil
