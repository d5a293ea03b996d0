#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/delta.hpp"
#include "scan/snapshot.hpp"

namespace vigil::scan {

/// What changed between a baseline and a new snapshot (SPEC §9): the rows to
/// set (added or changed) and the keys to remove, each in ascending key order.
struct row_changes {
  std::vector<protocol::delta_row> upserts; ///< added and changed rows
  std::vector<std::string> removals;        ///< keys in the baseline, gone now
  size_t added = 0;                         ///< upserts whose key is new
  size_t changed = 0;                       ///< upserts whose value differs
  /// Whether nothing changed.
  bool empty() const noexcept { return upserts.empty() && removals.empty(); }
};

/// A sort-merge of a finalized snapshot (sorted, unique keys) against a
/// baseline that is visited once, in ascending key order, row by row — the
/// order a key-value store's prefix scan produces — so the baseline is never
/// held in memory. Cost: one pass over both, one string comparison per row.
class snapshot_differ {
public:
  /// Compares against `current`, which must outlive the differ.
  explicit snapshot_differ(const snapshot& current);

  /// The next baseline row; keys must ascend strictly (bytewise).
  void baseline_row(std::string_view key, std::string_view value);

  /// Ends the baseline: the snapshot rows not reached yet are added. Returns
  /// the changes; the differ is spent afterwards.
  row_changes finish();

private:
  const snapshot& current_;
  size_t next_ = 0; ///< the first snapshot row not yet compared
  row_changes changes_;
};

/// The changes between `baseline` and `current`, both finalized; a
/// convenience over `snapshot_differ` for rows already in memory.
row_changes diff_snapshots(const snapshot& baseline, const snapshot& current);

/// `rows` (finalized) with `changes` applied: the snapshot the platform holds
/// after it applied them. The result is finalized.
snapshot apply_changes(snapshot rows, const std::vector<protocol::delta_row>& upserts,
                       const std::vector<std::string>& removals);

} // namespace vigil::scan
