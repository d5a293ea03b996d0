// Time zones on Windows: no IANA database is at hand (Debian packages no
// compiled date-tz for mingw, GCC 12's libstdc++ has no std::chrono::tzdb,
// and Windows names its zones otherwise: "W. Europe Standard Time"). What
// needs no database is known: UTC under its aliases, the fixed offsets of
// the tz database's Etc area ("Etc/GMT-9" is UTC+9: POSIX signs, inverted),
// and the host's own zone by the rules Windows has for it, under the name
// "localtime" (`host_time_zone()`: windows that name no zone follow it, as
// on POSIX). Any other name is refused with the reason, and the schedule
// leaves that window out and logs it, as it does a zone it does not know.
#include "actors/time_zone.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <optional>
#include <string>
#include <windows.h>

#include "actors/blackout_logic.hpp"
#include "common/error.hpp"

namespace vigil {

namespace {

/// A zone whose offset from UTC never changes.
class fixed_offset_zone final : public time_zone_rules {
public:
  explicit fixed_offset_zone(std::chrono::seconds offset) : offset_{offset} {
  }

  zone_sys_seconds to_sys(zone_local_seconds local) const override {
    return zone_sys_seconds{local.time_since_epoch() - offset_};
  }

  zone_local_seconds to_local(zone_sys_seconds instant) const override {
    return zone_local_seconds{instant.time_since_epoch() + offset_};
  }

private:
  std::chrono::seconds offset_;
};

/// The name the host's own zone goes by here.
constexpr std::string_view host_zone_name = "localtime";

SYSTEMTIME to_systemtime(zone_sys_seconds t) {
  auto day = std::chrono::floor<std::chrono::days>(t);
  std::chrono::year_month_day ymd{day};
  std::chrono::hh_mm_ss time{t - day};
  SYSTEMTIME out{};
  out.wYear = static_cast<WORD>(static_cast<int>(ymd.year()));
  out.wMonth = static_cast<WORD>(static_cast<unsigned>(ymd.month()));
  out.wDay = static_cast<WORD>(static_cast<unsigned>(ymd.day()));
  out.wDayOfWeek = static_cast<WORD>(std::chrono::weekday{day}.c_encoding());
  out.wHour = static_cast<WORD>(time.hours().count());
  out.wMinute = static_cast<WORD>(time.minutes().count());
  out.wSecond = static_cast<WORD>(time.seconds().count());
  return out;
}

std::chrono::seconds since_epoch(const SYSTEMTIME& t) {
  auto day = std::chrono::sys_days{std::chrono::year{t.wYear} / std::chrono::month{t.wMonth}
                                   / std::chrono::day{t.wDay}};
  return day.time_since_epoch() + std::chrono::hours{t.wHour} + std::chrono::minutes{t.wMinute}
         + std::chrono::seconds{t.wSecond};
}

/// The host's zone as Windows keeps it (the time zone of the system, with
/// its daylight-saving dates), read at each conversion: a change of the
/// system's zone applies at the next evaluation of the schedule.
class host_zone final : public time_zone_rules {
public:
  zone_local_seconds to_local(zone_sys_seconds instant) const override {
    auto utc = to_systemtime(instant);
    SYSTEMTIME local{};
    // Null: the zone active now. Outside SYSTEMTIME's years, UTC.
    if (!::SystemTimeToTzSpecificLocalTime(nullptr, &utc, &local))
      return zone_local_seconds{instant.time_since_epoch()};
    return zone_local_seconds{since_epoch(local)};
  }

  zone_sys_seconds to_sys(zone_local_seconds local) const override {
    // Windows' own reverse conversion leaves the DST rules of
    // blackout_logic.hpp unsaid, so they are applied here from the forward
    // one: the local time read with the offset in force a day before and a
    // day after (the zone changes offset at most once in between).
    using std::chrono::days;
    auto as_utc = zone_sys_seconds{local.time_since_epoch()};
    auto offset_at = [&](zone_sys_seconds t) {
      return to_local(t).time_since_epoch() - t.time_since_epoch();
    };
    auto later_offset = offset_at(as_utc + days{1});
    auto with_earlier = as_utc - offset_at(as_utc - days{1});
    auto with_later = as_utc - later_offset;
    bool earlier_fits = to_local(with_earlier) == local;
    bool later_fits = to_local(with_later) == local;
    if (earlier_fits && later_fits)
      return std::min(with_earlier, with_later); // repeated: its first occurrence
    if (earlier_fits)
      return with_earlier;
    if (later_fits)
      return with_later;
    // Skipped: the instant the gap ends, where the later offset starts,
    // which lies between the two readings.
    auto low = std::min(with_earlier, with_later);
    auto high = std::max(with_earlier, with_later);
    while (high - low > std::chrono::seconds{1}) {
      auto middle = low + (high - low) / 2;
      (offset_at(middle) == later_offset ? high : low) = middle;
    }
    return high;
  }
};

constexpr std::array<std::string_view, 10> utc_names{
  "UTC",          "Etc/UTC",       "Etc/UCT",  "UCT",    "Zulu",
  "Etc/Zulu",     "Universal",     "Etc/Universal", "GMT", "Etc/GMT"};

/// The offset of "Etc/GMT+N" / "Etc/GMT-N" (N up to 12 west, 14 east), as
/// the tz database has them: "Etc/GMT+5" is five hours behind UTC.
std::optional<std::chrono::hours> etc_gmt_offset(std::string_view name) {
  constexpr std::string_view prefix = "Etc/GMT";
  if (!name.starts_with(prefix) || name.size() < prefix.size() + 2)
    return std::nullopt;
  char sign = name[prefix.size()];
  auto digits = name.substr(prefix.size() + 1);
  if ((sign != '+' && sign != '-') || digits.size() > 2 || digits.front() == '0')
    return std::nullopt;
  int hours = 0;
  auto [end, err] = std::from_chars(digits.data(), digits.data() + digits.size(), hours);
  if (err != std::errc{} || end != digits.data() + digits.size())
    return std::nullopt;
  if (sign == '+' ? hours > 12 : hours > 14)
    return std::nullopt;
  return std::chrono::hours{sign == '+' ? -hours : hours};
}

} // namespace

caf::expected<std::shared_ptr<const time_zone_rules>> find_time_zone(std::string_view name) {
  for (auto utc : utc_names)
    if (name == utc)
      return std::shared_ptr<const time_zone_rules>{
        std::make_shared<fixed_offset_zone>(std::chrono::seconds{0})};
  if (name == host_zone_name)
    return std::shared_ptr<const time_zone_rules>{std::make_shared<host_zone>()};
  if (auto offset = etc_gmt_offset(name))
    return std::shared_ptr<const time_zone_rules>{std::make_shared<fixed_offset_zone>(*offset)};
  return make_error(ec::unsupported,
                    "named time zones are not supported in the Windows build yet; use UTC: \""
                      + std::string{name} + "\"");
}

std::string host_time_zone() {
  // The host's zone has a Windows name only ("W. Europe Standard Time"):
  // its rules are followed under the name known here.
  return std::string{host_zone_name};
}

} // namespace vigil
