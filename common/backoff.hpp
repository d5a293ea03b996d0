#pragma once

#include <chrono>
#include <cstdint>

namespace vigil {

/// Capped exponential backoff with jitter (provisioning, uploads): the n-th
/// retry waits about `initial * 2^n`, never more than `cap`, spread by up to
/// `jitter` of itself either way so a fleet that lost the platform at the same
/// moment does not come back in lockstep.
struct backoff_policy {
  std::chrono::milliseconds initial{1000};
  std::chrono::milliseconds cap{std::chrono::minutes{5}};
  double jitter = 0.2; ///< fraction of the delay, 0 to 1
};

/// The wait before retry number `attempt` (0 for the first retry). `random`
/// is any uniformly distributed 64-bit number; tests pass fixed ones.
std::chrono::milliseconds backoff_delay(const backoff_policy& policy, unsigned attempt,
                                        uint64_t random) noexcept;

} // namespace vigil
