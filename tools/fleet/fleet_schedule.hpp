#pragma once

// When each simulated agent acts, and what it draws: pure, deterministic
// functions of the run's seed, so a run can be replayed (`--seed`).

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace vigil::fleet {

/// One step of splitmix64: a well-mixed 64-bit value of `x` (a hash, not a
/// cryptographic one).
uint64_t mix(uint64_t x) noexcept;

/// A hash of the pair (`a`, `b`): `mix` of both, order-sensitive.
uint64_t mix(uint64_t a, uint64_t b) noexcept;

/// `h` as a number in [0, 1).
double unit_interval(uint64_t h) noexcept;

/// The seed of agent `index` in a run seeded `run_seed`: its HostID, rows and
/// schedule derive from it.
uint64_t agent_seed(uint64_t run_seed, std::size_t index) noexcept;

/// `interval` varied by up to +-`jitter` of itself (0 <= jitter < 1), by the
/// draw `h`: what a fleet of real agents does so they do not stampede the
/// platform (SPEC §9b). Never below a tenth of `interval`.
std::chrono::microseconds jittered(std::chrono::microseconds interval, double jitter,
                                   uint64_t h) noexcept;

/// When agent `index` of `agents` first acts, as an offset from the start:
/// the first contacts spread evenly over `ramp` (agent 0 at once), each moved
/// by up to one slot by the draw `h` so that neighbours do not line up.
std::chrono::microseconds first_offset(std::size_t index, std::size_t agents,
                                       std::chrono::microseconds ramp, uint64_t h) noexcept;

/// Whether the host seeded `host_seed` has new rows in its scan `cycle`: true
/// for about `share` of the hosts in each cycle, a different draw each cycle.
bool changes_in_cycle(uint64_t host_seed, uint64_t cycle, double share) noexcept;

} // namespace vigil::fleet
