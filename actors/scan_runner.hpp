#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "host/paths.hpp"
#include "protocol/manifest.hpp"

namespace vigil {

/// What one scan cost.
struct scan_cost {
  std::chrono::nanoseconds cpu{0};  ///< CPU time of the scanning thread
  std::chrono::nanoseconds wall{0}; ///< elapsed time
  size_t rows = 0;
};

/// Runs every collector of `manifest` under `root` on the calling thread and
/// returns the snapshot as JSON lines (one `{"key","value"}` per row, sorted).
/// Between items it pauses so that the thread's CPU time over the wall time
/// stays within `cpu_limit_percent` of one core (SPEC §8): the agent measures
/// its own CPU use (CLOCK_THREAD_CPUTIME_ID), no cgroup needed. Blocks: the
/// module actor runs it in a detached worker.
std::string run_manifest(const paths& root, const protocol::manifest& manifest,
                         uint32_t cpu_limit_percent, scan_cost* cost = nullptr);

} // namespace vigil
