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

#include "actors/blackout.hpp"
#include "actors/message_types.hpp"
#include "actors/transport.hpp"
#include "common/release_metadata.hpp"
#include "common/signed_document.hpp"
#include "host/paths.hpp"
#include "host/upgrade_marker.hpp"
#include "storage/kv_store.hpp"

namespace vigil {

using offer_atom = caf::atom_constant<caf::atom("offer")>;
using download_atom = caf::atom_constant<caf::atom("download")>;

/// The self-patch actor (SPEC §12, DESIGN "One trust root"). Told by the
/// check-in of the release the platform offers this host, it verifies the
/// signed metadata against the pinned key (signature, serial never below one
/// already accepted, version never below the highest ever installed, expiry,
/// a version not rolled back under the same metadata), checks free disk
/// space, downloads the package through the transport (so the same proxies
/// and TLS checks apply) in ranged pieces that resume after any stop, never
/// inside a network blackout window, refuses a package longer than signed or
/// with another SHA-256, stages it root-only, verifies it again through the
/// descriptor it will run from, and hands over to the new version's
/// `vigil-setup PatchInstall=TRUE SelfPatch=TRUE` in its own session: its
/// upgrade watcher proves the new version or rolls back. Every step is
/// written to the upgrade marker; every refusal names its cause (SelfPatch
/// log, and the report the check-in sends). How fresh the offered metadata
/// is goes to the agent's status (expired: the health check says Poor).
/// Spawn it detached: it hashes and writes files.
using selfpatch_actor = caf::typed_actor<
  /// The platform offers this release (from every check-in's answer; an
  /// empty version when it offers none). An offer of the release already
  /// being fetched resumes a download that waits for its retry.
  caf::reacts_to<offer_atom, protocol::upgrade_offer>,
  /// Fetches the next piece of the package (internal, and after a window).
  caf::reacts_to<download_atom>,
  /// The blackout actor's latest state: downloads wait inside network windows.
  caf::reacts_to<blackout_atom, blackout_answer>,
  /// Answers the upgrade report the check-in sends to the platform.
  caf::replies_to<caf::get_atom>::with<protocol::upgrade_report>>;

/// How the self-patch actor works; the defaults are production's.
struct selfpatch_options {
  uint64_t chunk_bytes = 4 * 1024 * 1024;          ///< bytes per ranged request
  std::chrono::seconds retry{30};                  ///< after a failed piece
  std::function<int64_t()> now;                    ///< Unix seconds
  /// Stops this process so that its supervisor starts it again from the
  /// program files (the agent's: exit 75 after a graceful stop). Called when
  /// the files are already the target version but this process was started
  /// from the previous one meanwhile. Empty: nothing is done.
  std::function<void()> restart;
};

/// The self-patch actor's state.
struct selfpatch_state {
  paths root_paths{"/"};
  std::shared_ptr<kv_store> store;
  transport_actor transport;
  std::shared_ptr<const trusted_keys> keys;
  std::string running_version;
  selfpatch_options options;
  blackout_actor blackout;
  std::optional<blackout_answer> windows;
  upgrade_marker marker;                ///< as last written
  std::optional<release_metadata> release; ///< the verified release being fetched
  bool fetching = false;                ///< a piece is on its way
  bool piece_failed = false;            ///< the last piece failed: a retry waits
  bool handed_over = false;             ///< vigil-setup runs: nothing more to do
  bool restarting = false;              ///< `options.restart` was called
  /// A binary patch is being tried for `release` (SPEC §12): the whole
  /// package is fetched only once it failed or there is none.
  bool patch_pending = false;
  static inline const char* name = "selfpatch";
};

/// The self-patch actor for the agent running `running_version` (the
/// installed payload's VERSION), verifying against `keys` (null: nothing is
/// accepted).
selfpatch_actor::behavior_type selfpatch(selfpatch_actor::stateful_pointer<selfpatch_state> self,
                                         paths root_paths, std::shared_ptr<kv_store> store,
                                         transport_actor transport,
                                         std::shared_ptr<const trusted_keys> keys,
                                         std::string running_version, blackout_actor blackout,
                                         selfpatch_options options);

} // namespace vigil
