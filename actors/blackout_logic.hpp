#pragma once

// The network blackout schedule of SPEC §9b as plain functions: no CAF, no
// clock of its own, so the blackout actor's decisions are unit-tested at fixed
// instants. Time zones come through the seam of time_zone.hpp: on POSIX the
// system tz database (/usr/share/zoneinfo) through Howard Hinnant's date/tz
// (GCC 12's libstdc++ has no std::chrono::zoned_time); the Windows build
// knows UTC, fixed offsets and the host's zone only, and leaves out windows
// naming other zones.
//
// How local wall-clock times become instants:
// - A window lists the weekdays it STARTS on, in its own zone (the host's when
//   it names none). An end before the start ends on the next day, so a
//   Fri 22:00-02:00 window covers Saturday 01:00, and a Sun 23:00-01:00 window
//   covers Monday 00:30 (the week wraps).
// - A local time that does not exist (skipped by a DST change, e.g. 02:30 on
//   the last Sunday of March in Europe/Paris) rounds forward to the instant the
//   gap ends (03:00 local). A window lying wholly inside the gap does not
//   happen that day.
// - A local time that occurs twice (the hour repeated when DST ends) means its
//   first occurrence, for a start as for an end.
// - Windows in different zones are compared as instants, so overlapping and
//   adjacent windows merge whatever their zones.

#include <array>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/blackout_window.hpp"

namespace vigil {

class time_zone_rules; // actors/time_zone.hpp

/// The wall clock the schedule speaks: instants, not local times.
using blackout_clock = std::chrono::system_clock;

/// One kind of blackout (network or collection) at an instant.
struct blackout_period {
  /// Whether a window of this kind covers the instant.
  bool blocked = false;
  /// While `blocked`: the end of the merged blocking period, the first instant
  /// no window of this kind covers. Empty while blocked means the windows cover
  /// the whole week (no end); empty while not blocked.
  std::optional<blackout_clock::time_point> until;
  /// The start of the next blocking period after the instant (after the
  /// current one while `blocked`); empty when no window of this kind exists
  /// or the block never ends.
  std::optional<blackout_clock::time_point> next_start;

  friend bool operator==(const blackout_period&, const blackout_period&) = default;
};

/// The schedule at one instant.
struct blackout_status {
  blackout_period network;    ///< windows with `network` on: no transmission
  blackout_period collection; ///< windows with `collection` on: scheduled scans wait

  friend bool operator==(const blackout_status&, const blackout_status&) = default;
};

/// A window the schedule leaves out, and why (for the caller to log).
struct ignored_window {
  size_t index = 0;   ///< its position in the list given to the schedule
  std::string reason; ///< "start: not HH:MM: \"25:00\"", "time_zone: unknown ..."

  friend bool operator==(const ignored_window&, const ignored_window&) = default;
};

/// Whether the tz database knows `name` ("Europe/Paris", "UTC"); in the
/// Windows build, whether it is UTC, a fixed offset or "localtime", the
/// host's zone (time_zone.hpp).
bool is_known_time_zone(std::string_view name) noexcept;

/// The IANA name of the host's local time zone, read the way the C library
/// does: `TZ` when it names a known zone (a leading ':' and a
/// `.../zoneinfo/` prefix are ignored), else the zone `/etc/localtime` links
/// to, else `/etc/timezone`'s, else "UTC". The Windows build has no IANA
/// name for the host's zone: "localtime", its rules as Windows keeps them
/// (defined per OS: posix/ and windows/time_zone.cpp).
std::string host_time_zone();

/// `host_time_zone()` with the environment and `/etc` given, for tests:
/// `tz` is the `TZ` variable (nothing when unset), `etc` the directory holding
/// `localtime` and `timezone`.
std::string host_time_zone(std::optional<std::string_view> tz, const std::filesystem::path& etc);

/// The windows of a profile, resolved once (zones looked up, times parsed) and
/// evaluated at any instant. Immutable, so it can be shared and copied freely.
class blackout_schedule {
public:
  /// A schedule with no window: never blocked.
  blackout_schedule() = default;

  /// Resolves `windows`; a window without `time_zone` uses `host_zone`
  /// (normally `host_time_zone()`; UTC when the tz database does not know it).
  /// A window failing `protocol::validate` or naming a zone the tz database
  /// does not know is left out and reported by `ignored()` (SPEC §9b: ignored
  /// with a logged error).
  blackout_schedule(const std::vector<protocol::blackout_window>& windows,
                    std::string_view host_zone);

  /// Network and collection blackouts at `now`: blocked or not, until when
  /// (overlapping and adjacent windows merged, across zones), and when the
  /// next blocking period starts.
  blackout_status at(blackout_clock::time_point now) const;

  /// The windows left out, in input order.
  const std::vector<ignored_window>& ignored() const noexcept {
    return ignored_;
  }

  /// How many windows apply (given minus ignored).
  size_t size() const noexcept {
    return windows_.size();
  }

  /// The zone windows without `time_zone` use ("UTC" when the host zone given
  /// was unknown).
  const std::string& host_zone() const noexcept {
    return host_zone_;
  }

private:
  struct window {
    std::array<bool, 7> days{};        // Monday first: the days it starts on
    int start = 0;                     // minutes since local midnight
    int end = 0;                       // idem; <= start: ends the next day
    std::shared_ptr<const time_zone_rules> zone; // null: UTC
    bool network = true;
    bool collection = false;
  };

  std::vector<window> windows_;
  std::vector<ignored_window> ignored_;
  std::string host_zone_ = "UTC";
};

/// The longest resume jitter: a window's end is announced within a minute.
inline constexpr std::chrono::milliseconds max_resume_jitter{60'000};

/// A delay uniformly distributed in [0, 60 s), millisecond resolution: how long
/// the agent waits after a window ends before its first contact, so a fleet
/// whose windows end together does not stampede the platform (SPEC §9b).
std::chrono::milliseconds resume_jitter(std::mt19937_64& random);

/// When to resume after a blocking period that ends at `window_end`:
/// `window_end` plus `resume_jitter(random)`.
blackout_clock::time_point resume_time(blackout_clock::time_point window_end,
                                       std::mt19937_64& random);

} // namespace vigil
