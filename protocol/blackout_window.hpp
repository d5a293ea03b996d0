#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vigil::protocol {

/// The day names a blackout window lists, Monday first, spelled exactly so.
inline constexpr std::string_view day_names[7] = {"Mon", "Tue", "Wed", "Thu",
                                                  "Fri", "Sat", "Sun"};

/// A network blackout window (SPEC §9b), as the profile carries it. The fields
/// keep their wire form; `parse_hhmm` and `day_index` turn them into numbers.
/// A parsed window has at least one day, valid `start`/`end` that differ (an
/// `end` before `start` spans midnight into the next day), and a `time_zone`
/// that is absent (host local time) or shaped like an IANA name.
struct blackout_window {
  std::vector<std::string> days;         ///< `day_names` entries the window starts on
  std::string start;                     ///< "HH:MM", 00:00 to 23:59
  std::string end;                       ///< "HH:MM", 00:00 to 23:59
  std::optional<std::string> time_zone;  ///< IANA name ("Europe/Paris"); absent: host local
  bool network = true;                   ///< no transmission to the platform inside
  bool collection = false;               ///< scheduled scans wait too

  friend bool operator==(const blackout_window&, const blackout_window&) = default;
};

/// Minutes since midnight of an "HH:MM" time (two digits each, 00-23 and
/// 00-59), or nothing for any other text.
std::optional<int> parse_hhmm(std::string_view text) noexcept;

/// The index of `name` in `day_names` (0 for "Mon"), or nothing.
std::optional<int> day_index(std::string_view name) noexcept;

/// Whether `name` is shaped like an IANA time zone name: one or more '/'-joined
/// segments of letters, digits, '_', '-' and '+', none empty, none starting with
/// '.' ("UTC", "America/Argentina/Buenos_Aires", "Etc/GMT+5"). Names that could
/// escape the zoneinfo directory ("../x", "/etc/x") never are.
bool is_time_zone_name(std::string_view name) noexcept;

/// Why a blackout window is malformed.
struct window_problem {
  /// The offending field, relative to the window: "start", "days[1]".
  std::string field;
  /// What is wrong with it: "not HH:MM: \"25:00\"".
  std::string what;

  friend bool operator==(const window_problem&, const window_problem&) = default;
};

/// The first problem of `window` (checked in the order days, start, end,
/// time_zone), or nothing when it is well formed.
std::optional<window_problem> validate(const blackout_window& window);

} // namespace vigil::protocol
