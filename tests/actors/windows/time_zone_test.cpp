// The blackout schedule's time zone seam in the Windows build
// (actors/windows/time_zone.cpp): UTC, the fixed offsets of the tz
// database's Etc area and the host's zone ("localtime") work, a named IANA
// zone is left out with the reason.

#include "actors/time_zone.hpp"

#include <doctest/doctest.h>
#include <windows.h>

#include "actors/blackout_logic.hpp"
#include "common/error.hpp"

using namespace vigil;
using namespace std::chrono_literals;
using protocol::blackout_window;
using time_point = blackout_clock::time_point;

namespace {

/// An instant given in UTC. 2025-01-06 is a Monday.
time_point utc(int y, unsigned m, unsigned d, int h = 0, int min = 0) {
  return std::chrono::sys_days{std::chrono::year{y} / std::chrono::month{m} / std::chrono::day{d}}
         + std::chrono::hours{h} + std::chrono::minutes{min};
}

blackout_window window(std::vector<std::string> days, std::string start, std::string end,
                       std::optional<std::string> zone) {
  return {std::move(days), std::move(start), std::move(end), std::move(zone), true, false};
}

const std::string unsupported = "named time zones are not supported in the Windows build yet; "
                                "use UTC";

} // namespace

TEST_CASE("time zones on Windows: UTC under its names, and fixed offsets") {
  auto instant = std::chrono::floor<std::chrono::seconds>(utc(2025, 1, 6, 10));
  for (auto name : {"UTC", "Etc/UTC", "GMT", "Etc/GMT", "Zulu"}) {
    auto zone = find_time_zone(name);
    REQUIRE_MESSAGE(zone, name);
    CHECK((*zone)->to_local(instant).time_since_epoch() == instant.time_since_epoch());
    CHECK(is_known_time_zone(name));
  }
  // POSIX signs, as the tz database has them: Etc/GMT-9 is UTC+9.
  auto tokyo_like = find_time_zone("Etc/GMT-9");
  REQUIRE(tokyo_like);
  CHECK((*tokyo_like)->to_local(instant).time_since_epoch() == instant.time_since_epoch() + 9h);
  auto west = find_time_zone("Etc/GMT+5");
  REQUIRE(west);
  auto local = std::chrono::local_seconds{instant.time_since_epoch()};
  CHECK((*west)->to_sys(local) == instant + 5h);
  for (auto bad : {"Etc/GMT+13", "Etc/GMT-15", "Etc/GMT+05", "Etc/GMT+", "Etc/GMT+1x"})
    CHECK_FALSE_MESSAGE(is_known_time_zone(bad), bad);
}

TEST_CASE("time zones on Windows: a named IANA zone is a clear error naming it") {
  auto paris = find_time_zone("Europe/Paris");
  REQUIRE_FALSE(paris);
  CHECK(code_of(paris.error()) == ec::unsupported);
  CHECK(context_of(paris.error()) == unsupported + ": \"Europe/Paris\"");
  CHECK_FALSE(is_known_time_zone("Asia/Tokyo"));
}

TEST_CASE("blackout on Windows: UTC and offset windows apply, a named zone's is left out") {
  std::vector windows{window({"Mon"}, "09:00", "10:00", "UTC"),
                      window({"Mon"}, "09:00", "10:00", "Europe/Paris"),
                      window({"Mon"}, "20:00", "21:00", "Etc/GMT-9")};
  blackout_schedule schedule{windows, "UTC"};
  CHECK(schedule.size() == 2);
  REQUIRE(schedule.ignored().size() == 1);
  CHECK(schedule.ignored()[0].index == 1);
  CHECK(schedule.ignored()[0].reason == "time_zone: " + unsupported + ": \"Europe/Paris\"");
  auto inside = schedule.at(utc(2025, 1, 6, 9, 30));
  CHECK(inside.network.blocked);
  CHECK(inside.network.until == utc(2025, 1, 6, 10));
  // Monday 20:00 at UTC+9 is Monday 11:00 UTC.
  CHECK(schedule.at(utc(2025, 1, 6, 11, 30)).network.blocked);
  CHECK_FALSE(schedule.at(utc(2025, 1, 6, 8, 30)).network.blocked);
}

TEST_CASE("blackout on Windows: windows without a zone follow the host's, \"localtime\"") {
  CHECK(host_time_zone() == "localtime");
  auto host = find_time_zone("localtime");
  REQUIRE(host);
  // Whatever the host's zone (Wine takes the machine's), its conversions
  // agree with Windows' own and go back and forth over a year and more.
  for (int day = 0; day < 400; day += 7) {
    auto t = std::chrono::floor<std::chrono::seconds>(utc(2025, 1, 1, 12)) + std::chrono::days{day};
    auto local = (*host)->to_local(t);
    CHECK((*host)->to_sys(local) == t);
    SYSTEMTIME utc_time{}, windows_local{};
    FILETIME file_time{};
    auto ticks = (t.time_since_epoch().count() + 11644473600LL) * 10'000'000LL;
    file_time.dwLowDateTime = static_cast<DWORD>(ticks);
    file_time.dwHighDateTime = static_cast<DWORD>(ticks >> 32);
    REQUIRE(::FileTimeToSystemTime(&file_time, &utc_time));
    REQUIRE(::SystemTimeToTzSpecificLocalTime(nullptr, &utc_time, &windows_local));
    auto expected = std::chrono::sys_days{std::chrono::year{windows_local.wYear}
                                          / std::chrono::month{windows_local.wMonth}
                                          / std::chrono::day{windows_local.wDay}}
                    + std::chrono::hours{windows_local.wHour}
                    + std::chrono::minutes{windows_local.wMinute};
    CHECK(local.time_since_epoch() == expected.time_since_epoch());
  }
  std::vector local{window({"Mon"}, "09:00", "10:00", std::nullopt)};
  blackout_schedule schedule{local, host_time_zone()};
  CHECK(schedule.host_zone() == "localtime");
  auto nine = std::chrono::local_days{std::chrono::year{2025} / 1 / 6} + 9h + 30min;
  CHECK(schedule.at((*host)->to_sys(nine)).network.blocked);
  // A named host zone unknown here falls back to UTC, as on POSIX.
  blackout_schedule named_host{local, "Europe/Paris"};
  CHECK(named_host.host_zone() == "UTC");
  CHECK(named_host.at(utc(2025, 1, 6, 9, 30)).network.blocked);
}

TEST_CASE("blackout on Windows: the host zone's daylight-saving changes follow the schedule's rules") {
  // Only a host zone with daylight saving has changes to check: run the
  // program with TZ=Europe/Paris (Wine takes the zone from it) to see them.
  auto host = find_time_zone("localtime");
  REQUIRE(host);
  auto offset_at = [&](std::chrono::sys_seconds t) {
    return (*host)->to_local(t).time_since_epoch() - t.time_since_epoch();
  };
  int changes = 0;
  auto start = std::chrono::floor<std::chrono::seconds>(utc(2025, 1, 1));
  for (auto t = start; t < start + std::chrono::days{366}; t += std::chrono::days{1}) {
    auto before = offset_at(t), after = offset_at(t + std::chrono::days{1});
    if (before == after)
      continue;
    // The change lies in (t, t + 1 day]: find its instant to the second.
    auto low = t, high = t + std::chrono::days{1};
    while (high - low > 1s) {
      auto middle = low + (high - low) / 2;
      (offset_at(middle) == after ? high : low) = middle;
    }
    auto change = high;
    auto delta = after - before;
    auto wall = (*host)->to_local(change); // the first wall-clock time after it
    if (delta > 0s) {
      // Skipped: a time inside the gap rounds forward to the change.
      CHECK((*host)->to_sys(wall - delta / 2) == change);
    } else {
      // Repeated: the first occurrence.
      CHECK((*host)->to_sys(wall) == change + delta);
    }
    ++changes;
  }
  MESSAGE("daylight-saving changes of the host's zone in 2025: " << changes);
}
