#pragma once

// The agent's side of SPEC §9, on the store, with no actors: the baseline (what
// the platform acknowledged), the pending deltas, and the per-module cursor.
// Every change that must stay consistent with another is one synced batch, so a
// SIGKILL at any instant leaves either the old or the new state:
//
//   record_delta     snapshot + baseline  ->  pending[M/seq], cursor next_seq
//   acknowledge      pending[M/seq]       ->  baseline (changes applied), acked_seq
//   renumber_as_full pending[M/seq]       ->  pending[M/seq'] holding every row
//
// Keys: baseline `M/<row key>`; pending `M/<seq, 20 digits>` (one byte, `F`
// for a full snapshot or `D`, then the encoded delta: zstd JSON, as uploaded,
// so the uploader knows which it holds without decoding it); cursor `M/next_seq`, `M/acked_seq`,
// `M/manifest_version`, `M/full_needed`.

#include <caf/expected.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "scan/snapshot.hpp"
#include "storage/kv_store.hpp"
#include "storage/write_batch.hpp"

namespace vigil {

/// A delta waiting for the platform's acknowledgement.
struct pending_delta {
  std::string module;
  uint64_t seq = 0;
  bool full = false; ///< replaces every row the platform holds
  std::string bytes; ///< `protocol::encode_delta`'s output, uploaded as is
};

/// What `record_delta` wrote.
struct delta_summary {
  uint64_t seq = 0;
  bool full = false;   ///< every row, replacing what the platform holds
  size_t upserts = 0;  ///< rows added or changed (all rows when full)
  size_t removals = 0; ///< keys removed
  size_t bytes = 0;    ///< encoded size
};

/// Compares `current` (finalized) with `module`'s baseline and writes the
/// pending delta with the module's next seq, in one synced batch. A full
/// snapshot is written instead when the module has no acknowledged baseline
/// yet, when `manifest_version` differs from the one the baseline was made
/// with, or after `request_full`. Nothing is written when nothing changed
/// (an empty answer). Refuses (`ec::busy`) while the module has a delta
/// pending: its scans must wait (SPEC §8, §9). `also` joins the same batch
/// (written even when nothing changed): the scan's bookkeeping, so "this scan
/// ended" and "its delta is pending" become durable together.
caf::expected<std::optional<delta_summary>>
record_delta(kv_store& store, const std::string& module, const scan::snapshot& current,
             int64_t manifest_version, const write_batch& also = {});

/// Whether `module` has a delta waiting for upload.
caf::expected<bool> has_pending_delta(kv_store& store, const std::string& module);

/// Every pending delta, modules in name order, each module's in seq order.
caf::expected<std::vector<pending_delta>> pending_deltas(kv_store& store);

/// The first pending delta of each module that has one, in module name order:
/// what the uploader sends next, reading one blob per module instead of all.
caf::expected<std::vector<pending_delta>> pending_heads(kv_store& store);

/// The platform applied `delta` (or had applied it: a retry after a lost
/// answer): its changes become the baseline, it leaves the pending set, and the
/// acknowledged seq advances — one synced batch.
caf::expected<void> acknowledge(kv_store& store, const pending_delta& delta);

/// The platform's view of the module is not our baseline (it lost data, or
/// applied seqs this store never made): the pending delta is replaced by a
/// full snapshot — the baseline with the pending changes applied — numbered
/// `seq`, the number the platform applies next (its acknowledgement replaces
/// the whole baseline). One synced batch. Returns the new pending delta.
caf::expected<pending_delta> renumber_as_full(kv_store& store, const pending_delta& delta,
                                              uint64_t seq);

/// The module's next delta is a full snapshot (for example after the platform
/// reported a lost baseline and nothing was pending).
caf::expected<void> request_full(kv_store& store, const std::string& module);

/// The module's baseline rows, in key order (tests and the health check).
caf::expected<scan::snapshot> baseline_rows(kv_store& store, const std::string& module);

} // namespace vigil
