#pragma once

// The time zones blackout windows name (SPEC §9b), behind a seam: the rules
// of a zone (its offsets and daylight-saving changes) come from the operating
// system's time zone database, which only the per-OS file reads.
// - POSIX (posix/time_zone.cpp): every IANA name, through Howard Hinnant's
//   date/tz over /usr/share/zoneinfo (GCC 12's libstdc++ has no
//   std::chrono::tzdb).
// - Windows (windows/time_zone.cpp): no IANA database is available (Debian
//   packages no compiled date-tz for mingw, and Windows names its zones
//   otherwise), so only UTC and its aliases, the fixed offsets
//   "Etc/GMT+N" / "Etc/GMT-N", and the host's own zone (by Windows' rules,
//   named "localtime") are known; any other name is an error saying so,
//   which the schedule reports like a zone it does not know.
// Each also defines blackout_logic.hpp's `host_time_zone()`, the zone of
// windows that name none.

#include <caf/expected.hpp>
#include <chrono>
#include <memory>
#include <string_view>

namespace vigil {

/// Seconds on the UTC time line.
using zone_sys_seconds = std::chrono::sys_seconds;
/// Seconds of a wall clock in some zone, not yet placed on the time line.
using zone_local_seconds = std::chrono::local_seconds;

/// One time zone's rules: how its wall clock maps to instants and back.
/// Implementations are immutable and safe to share between threads.
class time_zone_rules {
public:
  virtual ~time_zone_rules() = default;

  /// The instant a wall-clock time names. A time skipped by a daylight-saving
  /// change rounds forward to the instant the gap ends; a time that occurs
  /// twice means its first occurrence (blackout_logic.hpp).
  virtual zone_sys_seconds to_sys(zone_local_seconds local) const = 0;

  /// The wall-clock time at an instant.
  virtual zone_local_seconds to_local(zone_sys_seconds instant) const = 0;
};

/// The zone called `name` ("Europe/Paris", "UTC"), looked up in what this
/// build knows of time zones (see above). The error names the zone and why it
/// is not known: `ec::not_found` "unknown to the tz database" on POSIX; on
/// Windows, for a named IANA zone, "named time zones are not supported in the
/// Windows build yet; use UTC".
caf::expected<std::shared_ptr<const time_zone_rules>> find_time_zone(std::string_view name);

} // namespace vigil
