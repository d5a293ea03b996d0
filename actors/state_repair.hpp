#pragma once

// Corrupt stored state (issue 15, defect 9): before any actor reads the store,
// the agent checks every value it keeps there and rebuilds what a bad sector,
// a half-restored backup or a hand edit garbled, instead of crash-looping or
// acting on garbage. Pure logic over a kv_store: no CAF, unit-tested alone.

#include <string>
#include <vector>

#include <caf/expected.hpp>

#include "storage/kv_store.hpp"

namespace vigil {

/// Checks every value the agent stores and rebuilds each corrupt one from its
/// source of truth; returns one line per repair, saying what was corrupt and
/// what was done (the agent logs each and the health check reports it).
/// - The profile and the cached manifests: erased, so the next check-in
///   fetches them again (unconditionally: no ETag survives them).
/// - A module's delta state (baseline rows, pending deltas, cursors): all of
///   it cleared, with the module's last scan time, so the module scans at once
///   and uploads a full snapshot; the platform's `expected_seq` renumbers it
///   (SPEC §9), so nothing is applied twice and nothing is lost.
/// - Meta values (check-in and scan times, self-patch memory, orders,
///   self-protection baseline, identity): erased; their owners start from
///   "none" (the identity provisions again under the same HostID).
/// Values of keys this code does not know are left alone. Fails only when the
/// store itself fails (reads or the repairing write).
caf::expected<std::vector<std::string>> repair_stored_state(kv_store& store);

} // namespace vigil
