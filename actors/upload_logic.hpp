#pragma once

#include <cstdint>

namespace vigil {

/// What the uploader does with a pending delta once the platform said which
/// seq it applies next (SPEC §9).
enum class upload_step {
  send,        ///< the platform expects this seq: upload (resuming) and complete
  acknowledge, ///< the platform applied it already (our answer was lost): advance
  renumber,    ///< the platform's view is not our baseline: send a full snapshot
};

/// The step for the pending delta `seq` (`full` when it replaces every row)
/// given the platform's next seq `expected_seq`:
/// - equal: send it;
/// - one behind `expected_seq` and not full: it was applied and only the
///   answer was lost (acknowledge; never re-applied);
/// - further behind, or a full snapshot behind: the platform holds seqs this
///   store never made (a reinstalled agent, a restored backup): renumber as a
///   full snapshot at `expected_seq` — a full snapshot is idempotent, so
///   resending one costs bytes, never correctness;
/// - ahead (the platform lost data): renumber as a full snapshot at
///   `expected_seq`.
upload_step decide_upload(uint64_t seq, bool full, uint64_t expected_seq) noexcept;

} // namespace vigil
