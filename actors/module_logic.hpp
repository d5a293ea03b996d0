#pragma once

// The rules of SPEC §8 (ScanOnDemand, ScanOnStartup, CpuLimit) and of the
// module schedule, as plain functions: no CAF, no clock of their own, so the
// module actor's decisions are unit-tested alone.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "host/hive.hpp"

namespace vigil {

/// The hive key of a module's on-demand values:
/// `HKLM\SOFTWARE\Vigil\VigilAgent\ScanOnDemand\<Module>`.
std::string scan_on_demand_key(std::string_view module);

/// `ScanOnDemand` data: 1 start now, 2 in progress, 0 completed.
namespace scan_on_demand {
inline constexpr uint32_t completed = 0;
inline constexpr uint32_t requested = 1;
inline constexpr uint32_t in_progress = 2;
} // namespace scan_on_demand

/// The CPU limit of an on-demand or startup scan from the hive's `CpuLimit`:
/// a REG_DWORD from 2 to 100; anything else — missing, 0, 1, 101, a string —
/// means 100 (SPEC §8).
uint32_t on_demand_cpu_limit(const hive& h, std::string_view module);

/// Whether the hive asks for a scan at service start (`ScanOnStartup` = 1).
bool scan_on_startup_requested(const hive& h, std::string_view module);

/// Whether the hive asks for an on-demand scan now (`ScanOnDemand` = 1).
bool scan_on_demand_requested(const hive& h, std::string_view module);

/// What a module is doing, as the rules need it.
struct module_condition {
  bool activated = false;     ///< the profile activates the module (Inventory always)
  bool scanning = false;      ///< a scan of this module runs
  bool delta_pending = false; ///< its last delta waits for upload
};

/// Why an on-demand or startup request does or does not start a scan.
enum class demand_decision {
  start,         ///< start the scan now (set ScanOnDemand to 2)
  not_activated, ///< never scanned; the value stays 1
  busy,          ///< already scanning; the value stays 1 until it can start
  delta_pending, ///< a delta waits for upload; the value stays 1 until it can start
};

/// The decision for a request (ScanOnDemand = 1 or ScanOnStartup = 1).
demand_decision decide_demand(const module_condition& condition) noexcept;

/// "start", "not_activated", "busy", "delta_pending".
const char* to_string(demand_decision decision) noexcept;

/// When the next scheduled scan is due: one interval after the last scan of
/// any kind ended (an on-demand or startup scan resets the interval, SPEC §8),
/// or at once when the module never scanned.
/// Any clock: the module actor uses CAF's actor clock (virtual in tests).
template <class TimePoint>
TimePoint next_scheduled_scan(std::optional<TimePoint> last_scan_end,
                              std::chrono::seconds interval, TimePoint now) noexcept {
  return last_scan_end ? *last_scan_end + interval : now;
}

/// How long a scan must pause so that its CPU time over its wall time stays
/// within `limit_percent` of one core (SPEC §8): zero when within the limit.
/// The agent measures the scan's CPU time itself and calls this between
/// chunks of work.
std::chrono::nanoseconds cpu_limit_pause(std::chrono::nanoseconds cpu_used,
                                         std::chrono::nanoseconds wall_elapsed,
                                         uint32_t limit_percent) noexcept;

} // namespace vigil
