#include "common/backoff.hpp"

#include <algorithm>

namespace vigil {

std::chrono::milliseconds backoff_delay(const backoff_policy& policy, unsigned attempt,
                                        uint64_t random) noexcept {
  auto cap = static_cast<double>(policy.cap.count());
  auto delay = static_cast<double>(policy.initial.count());
  for (unsigned i = 0; i < attempt && delay < cap; ++i)
    delay *= 2;
  delay = std::min(delay, cap);
  // Map `random` onto [-jitter, +jitter] of the delay.
  auto unit = static_cast<double>(random >> 11) / static_cast<double>(uint64_t{1} << 53);
  auto jitter = std::clamp(policy.jitter, 0.0, 1.0);
  delay *= 1.0 + jitter * (2.0 * unit - 1.0);
  return std::chrono::milliseconds{static_cast<int64_t>(std::max(delay, 1.0))};
}

} // namespace vigil
