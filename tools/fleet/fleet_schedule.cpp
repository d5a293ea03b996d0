#include "tools/fleet/fleet_schedule.hpp"

#include <algorithm>

namespace vigil::fleet {

uint64_t mix(uint64_t x) noexcept {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

uint64_t mix(uint64_t a, uint64_t b) noexcept {
  return mix(mix(a) ^ (b * 0xff51afd7ed558ccdull + 0x2545f4914f6cdd1dull));
}

double unit_interval(uint64_t h) noexcept {
  return static_cast<double>(h >> 11) * 0x1.0p-53;
}

uint64_t agent_seed(uint64_t run_seed, std::size_t index) noexcept {
  return mix(run_seed, static_cast<uint64_t>(index) + 1);
}

std::chrono::microseconds jittered(std::chrono::microseconds interval, double jitter,
                                   uint64_t h) noexcept {
  double factor = 1.0 + jitter * (2.0 * unit_interval(h) - 1.0);
  factor = std::max(factor, 0.1);
  return std::chrono::microseconds{
    static_cast<int64_t>(static_cast<double>(interval.count()) * factor)};
}

std::chrono::microseconds first_offset(std::size_t index, std::size_t agents,
                                       std::chrono::microseconds ramp, uint64_t h) noexcept {
  if (agents == 0 || ramp.count() <= 0 || index == 0)
    return std::chrono::microseconds{0};
  double slot = static_cast<double>(ramp.count()) / static_cast<double>(agents);
  double at = slot * (static_cast<double>(index) + unit_interval(h) - 0.5);
  at = std::clamp(at, 0.0, static_cast<double>(ramp.count()));
  return std::chrono::microseconds{static_cast<int64_t>(at)};
}

bool changes_in_cycle(uint64_t host_seed, uint64_t cycle, double share) noexcept {
  return unit_interval(mix(host_seed ^ 0x636861ull, cycle)) < share;
}

} // namespace vigil::fleet
