#pragma once

// What a simulated host "collects": rows computed from the host's seed and a
// generation number, so an agent keeps a few integers instead of its rows
// (100,000 agents fit in memory) and any generation can be rebuilt to diff,
// to renumber as a full snapshot, or to verify the platform's copy.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "protocol/delta.hpp"
#include "scan/snapshot.hpp"

namespace vigil::fleet {

/// The shape of every host's rows.
struct row_model {
  std::size_t rows = 200;      ///< rows per host and module
  std::size_t row_changes = 5; ///< about this many values change per generation
};

/// The rows of one host's `module` at `generation` (finalized: sorted, unique
/// keys). Generation g holds the package rows numbered g .. g+rows-1, so each
/// generation removes one row and adds one; a row's value carries a version
/// that moves on every `rows / row_changes` generations, at a phase of its
/// own, so about `row_changes` values change per generation. Values are
/// canonical JSON (members sorted), ~90 bytes, different on every host.
scan::snapshot rows_at(const row_model& model, uint64_t host_seed, std::string_view module,
                       uint64_t generation);

/// The delta `(module, seq)` taking the platform from generation `from` to
/// `to`, made by the agent's own diff (`scan::diff_snapshots`, what
/// actors/delta_store's `record_delta` runs); with `full`, every row of `to`
/// (a full snapshot replaces whatever the platform holds, and `from` is
/// ignored).
protocol::delta delta_between(const row_model& model, uint64_t host_seed,
                              const std::string& module, uint64_t seq, bool full, uint64_t from,
                              uint64_t to);

} // namespace vigil::fleet
