#pragma once

#include <atomic>
#include <caf/expected.hpp>
#include <chrono>
#include <cstdint>
#include <string>

#include "host/paths.hpp"
#include "protocol/manifest.hpp"
#include "scan/snapshot.hpp"

namespace vigil {

/// What one scan cost.
struct scan_cost {
  std::chrono::nanoseconds cpu{0};  ///< CPU time of the scanning thread
  std::chrono::nanoseconds wall{0}; ///< elapsed time
  size_t rows = 0;
};

/// Runs every collector of `manifest` under `root` on the calling thread and
/// returns the snapshot (finalized: sorted, unique keys).
/// Between items it pauses so that the thread's CPU time over the wall time
/// stays within `cpu_limit_percent` of one core (SPEC §8): the agent measures
/// its own CPU use (host/thread_cpu.hpp), no cgroup needed. Blocks: the
/// module actor runs it in a detached worker.
scan::snapshot run_manifest(const paths& root, const protocol::manifest& manifest,
                            uint32_t cpu_limit_percent, scan_cost* cost = nullptr);

/// `run_manifest` that stops soon after `stop` becomes true (at the next
/// item or chunk, and within 50 ms of a CPU-limit pause): `ec::cancelled`,
/// nothing half-collected returned. The module sets it when it stops, so a
/// scan never outlives the agent's shutdown or the module that started it.
caf::expected<scan::snapshot> run_manifest_until(const paths& root,
                                                 const protocol::manifest& manifest,
                                                 uint32_t cpu_limit_percent,
                                                 const std::atomic<bool>& stop,
                                                 scan_cost* cost = nullptr);

/// `rows` as JSON lines, one `{"key","value"}` object per row: the format of
/// the snapshot files `vigil-agent snapshot` prints.
std::string snapshot_jsonl(const scan::snapshot& rows);

} // namespace vigil
