#pragma once

// One simulated agent: its identity and protocol state, and one check-in
// cycle ("turn") spoken through the project's own platform_client, as the
// agent's checkin, uploader and orders actors do.

#include <cstdint>
#include <memory>
#include <mutex>
#include <map>
#include <string>
#include <vector>

#include "common/signed_document.hpp"
#include "net/platform_client.hpp"
#include "protocol/checkin.hpp"
#include "protocol/profile.hpp"
#include "tools/fleet/fleet_rows.hpp"
#include "tools/fleet/fleet_stats.hpp"

namespace vigil::fleet {

/// One module's upload bookkeeping, what actors/delta_store keeps in its
/// cursor column, with rows named by generation instead of stored.
struct module_track {
  std::string name;             ///< the module
  int64_t manifest_version = 0; ///< the verified manifest's version; 0: none yet
  uint64_t acked_seq = 0;       ///< the last seq the platform acknowledged; 0: none
  uint64_t acked_gen = 0;       ///< the generation the platform holds once it acknowledged
  uint64_t gen = 0;             ///< the generation the host's rows are at now
  uint64_t pending_seq = 0;     ///< the delta waiting for upload; 0: none
  bool pending_full = false;    ///< that delta is a full snapshot
};

/// A simulated agent's whole state: a few hundred bytes, no rows.
struct agent_state {
  uint64_t seed = 0;        ///< its rows, fingerprint and draws derive from it
  std::string host_id;      ///< its HostID
  std::string token;        ///< its agent token; empty until provisioned
  std::shared_ptr<const protocol::profile> profile; ///< shared by agents with the same etag
  std::vector<module_track> modules; ///< one per activated module of the profile
  uint64_t cycle = 0;       ///< check-in cycles so far
  std::vector<protocol::order_ack> acks;  ///< sent at the next check-in
  std::vector<std::string> done_orders;   ///< order ids carried out already
  bool scan_now = false;    ///< a `scan` order asks for new rows at the next cycle
};

/// Profiles by etag, so 10,000 agents with one profile hold one copy.
class profile_cache {
public:
  /// The cached profile equal to `p` (by etag), `p` itself the first time.
  std::shared_ptr<const protocol::profile> intern(protocol::profile p);

private:
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<const protocol::profile>> by_etag_;
};

/// What every agent of a run shares.
struct fleet_context {
  std::string customer_id;          ///< the CustomerId agents provision with
  std::string activation_id;        ///< the ActivationId agents provision with
  row_model model;                  ///< the shape of every host's rows
  double change_share = 0.1;        ///< hosts with new rows per cycle
  std::size_t chunk_bytes = 16'384; ///< upload chunk size
  /// The platform's root key, pinned; null: manifests and orders are refused,
  /// as an agent without a pinned key refuses them.
  std::shared_ptr<const trusted_keys> keys;
  profile_cache* profiles = nullptr; ///< shared by every agent of the run
};

/// A new agent seeded `seed`: its HostID derives from the seed.
agent_state make_agent(uint64_t seed);

/// One check-in cycle of `agent` through `client` (whose connection is the
/// agent's for the turn): provision when it has no token, check in with its
/// order acknowledgements, fetch the profile when its etag changed and the
/// manifests by version, then scan (new rows for about `change_share` of the
/// hosts per cycle, a full snapshot first) and upload what is pending, asking
/// the platform what it holds first, as actors/uploader does. Every call is
/// timed into `stats`; a failure ends the turn (the next turn retries).
void run_turn(agent_state& agent, platform_client& client, const fleet_context& ctx,
              fleet_stats& stats);

/// Tries to finish `agent`'s pending uploads, nothing else (the end of a
/// run). Returns whether nothing is pending any more.
bool finish_uploads(agent_state& agent, platform_client& client, const fleet_context& ctx,
                    fleet_stats& stats);

} // namespace vigil::fleet
