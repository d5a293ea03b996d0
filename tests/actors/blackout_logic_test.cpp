// The blackout schedule (SPEC §9b) at fixed instants: no clock, no actor.

#include "actors/blackout_logic.hpp"

#include <doctest/doctest.h>
#include <filesystem>
#include <set>

#include "tests/support/temp_dir.hpp"

using namespace vigil;
using namespace std::chrono_literals;
using protocol::blackout_window;
using time_point = blackout_clock::time_point;

namespace doctest {
/// Failed checks print instants as Unix seconds instead of "{?}".
template <>
struct StringMaker<time_point> {
  static String convert(const time_point& t) {
    auto s = std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
    return ("unix " + std::to_string(s)).c_str();
  }
};
/// Likewise for an optional instant; "none" when empty.
template <>
struct StringMaker<std::optional<time_point>> {
  static String convert(const std::optional<time_point>& t) {
    return t ? StringMaker<time_point>::convert(*t) : String{"none"};
  }
};
} // namespace doctest

namespace {

/// An instant given in UTC. 2025-01-06 is a Monday.
time_point utc(int y, unsigned m, unsigned d, int h = 0, int min = 0) {
  return std::chrono::sys_days{std::chrono::year{y} / std::chrono::month{m} / std::chrono::day{d}}
         + std::chrono::hours{h} + std::chrono::minutes{min};
}

blackout_window window(std::vector<std::string> days, std::string start, std::string end,
                       std::optional<std::string> zone = std::string{"UTC"}, bool network = true,
                       bool collection = false) {
  return {std::move(days), std::move(start), std::move(end), std::move(zone), network, collection};
}

blackout_status at(std::vector<blackout_window> windows, time_point now,
                   std::string_view host_zone = "UTC") {
  blackout_schedule schedule{windows, host_zone};
  REQUIRE(schedule.ignored().empty());
  return schedule.at(now);
}

} // namespace

TEST_CASE("blackout: a plain window blocks from its start (inclusive) to its end (exclusive)") {
  std::vector w{window({"Mon"}, "09:00", "17:00")};
  auto inside = at(w, utc(2025, 1, 6, 10));
  CHECK(inside.network.blocked);
  CHECK(inside.network.until == utc(2025, 1, 6, 17));
  CHECK(inside.network.next_start == utc(2025, 1, 13, 9)); // the one after this one
  CHECK_FALSE(inside.collection.blocked);                   // collection is off by default
  CHECK_FALSE(inside.collection.next_start);

  auto before = at(w, utc(2025, 1, 6, 8, 59));
  CHECK_FALSE(before.network.blocked);
  CHECK_FALSE(before.network.until);
  CHECK(before.network.next_start == utc(2025, 1, 6, 9));

  CHECK(at(w, utc(2025, 1, 6, 9)).network.blocked);
  auto at_end = at(w, utc(2025, 1, 6, 17));
  CHECK_FALSE(at_end.network.blocked);
  CHECK(at_end.network.next_start == utc(2025, 1, 13, 9));
  CHECK_FALSE(at(w, utc(2025, 1, 7, 10)).network.blocked); // Tuesday
}

TEST_CASE("blackout: no window, never blocked, nothing next") {
  auto s = at({}, utc(2025, 1, 6, 10));
  CHECK(s == blackout_status{});
}

TEST_CASE("blackout: an end before the start spans midnight into the next day") {
  std::vector fri{window({"Fri"}, "22:00", "02:00")};
  CHECK(at(fri, utc(2025, 1, 10, 23)).network.blocked);
  auto sat = at(fri, utc(2025, 1, 11, 1)); // Saturday 01:00
  CHECK(sat.network.blocked);
  CHECK(sat.network.until == utc(2025, 1, 11, 2));
  CHECK_FALSE(at(fri, utc(2025, 1, 11, 2)).network.blocked);
  CHECK_FALSE(at(fri, utc(2025, 1, 10, 1)).network.blocked); // Friday 01:00: Thursday's never started

  SUBCASE("Sunday to Monday wraps the week") {
    std::vector sun{window({"Sun"}, "23:00", "01:00")};
    auto monday = at(sun, utc(2025, 1, 6, 0, 30));
    CHECK(monday.network.blocked);
    CHECK(monday.network.until == utc(2025, 1, 6, 1));
    CHECK(monday.network.next_start == utc(2025, 1, 12, 23));
    auto saturday = at(sun, utc(2025, 1, 11, 12));
    CHECK_FALSE(saturday.network.blocked);
    CHECK(saturday.network.next_start == utc(2025, 1, 12, 23));
  }
}

TEST_CASE("blackout: overlapping windows merge; until is the end of the merged period") {
  std::vector w{window({"Mon"}, "09:00", "12:00"), window({"Mon"}, "11:00", "14:00")};
  auto s = at(w, utc(2025, 1, 6, 10));
  CHECK(s.network.until == utc(2025, 1, 6, 14));
  CHECK(at(w, utc(2025, 1, 6, 13)).network.until == utc(2025, 1, 6, 14));

  SUBCASE("a chain of three, one spanning midnight, listed in any order") {
    std::vector chain{window({"Tue"}, "02:30", "05:00"), window({"Mon"}, "22:00", "03:00"),
                      window({"Mon"}, "20:00", "22:30")};
    auto evening = at(chain, utc(2025, 1, 6, 21));
    CHECK(evening.network.until == utc(2025, 1, 7, 5));
    CHECK(evening.network.next_start == utc(2025, 1, 13, 20));
  }

  SUBCASE("a window inside another does not shorten it") {
    std::vector nested{window({"Mon"}, "08:00", "18:00"), window({"Mon"}, "10:00", "11:00")};
    CHECK(at(nested, utc(2025, 1, 6, 10, 30)).network.until == utc(2025, 1, 6, 18));
  }
}

TEST_CASE("blackout: adjacent windows merge") {
  std::vector w{window({"Mon"}, "09:00", "10:00"), window({"Mon"}, "10:00", "11:00")};
  CHECK(at(w, utc(2025, 1, 6, 9, 30)).network.until == utc(2025, 1, 6, 11));
  // Across midnight: one ends at 00:00 as the next day's starts.
  std::vector days{window({"Mon"}, "20:00", "00:00"), window({"Tue"}, "00:00", "06:00")};
  CHECK(at(days, utc(2025, 1, 6, 21)).network.until == utc(2025, 1, 7, 6));
}

TEST_CASE("blackout: windows covering the whole week never end") {
  std::vector all{window({"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"}, "00:00", "12:00"),
                  window({"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"}, "12:00", "00:00")};
  auto s = at(all, utc(2025, 1, 8, 15));
  CHECK(s.network.blocked);
  CHECK_FALSE(s.network.until);
  CHECK_FALSE(s.network.next_start);
}

TEST_CASE("blackout: a window in another IANA zone (Asia/Tokyo, UTC+9)") {
  // Monday 09:00-10:00 in Tokyo is Monday 00:00-01:00 UTC.
  std::vector tokyo{window({"Mon"}, "09:00", "10:00", "Asia/Tokyo")};
  auto s = at(tokyo, utc(2025, 1, 6, 0, 30));
  CHECK(s.network.blocked);
  CHECK(s.network.until == utc(2025, 1, 6, 1));
  CHECK_FALSE(at(tokyo, utc(2025, 1, 6, 9, 30)).network.blocked);
  // Tuesday 08:00 in Tokyo is still Monday 23:00 UTC.
  std::vector tuesday{window({"Tue"}, "08:00", "09:00", "Asia/Tokyo")};
  CHECK(at(tuesday, utc(2025, 1, 6, 23, 30)).network.blocked);
  // Windows in different zones merge as instants.
  std::vector both{window({"Mon"}, "01:00", "02:00", "UTC"),
                   window({"Mon"}, "09:00", "10:00", "Asia/Tokyo")};
  CHECK(at(both, utc(2025, 1, 6, 0, 30)).network.until == utc(2025, 1, 6, 2));
}

TEST_CASE("blackout: a window without time_zone uses the host's") {
  std::vector local{window({"Mon"}, "09:00", "10:00", std::nullopt)};
  CHECK(at(local, utc(2025, 1, 6, 8, 30), "Europe/Paris").network.blocked);  // CET, UTC+1
  CHECK_FALSE(at(local, utc(2025, 1, 6, 9, 30), "Europe/Paris").network.blocked);
  CHECK(at(local, utc(2025, 1, 6, 9, 30), "UTC").network.blocked);
  // An unknown host zone falls back to UTC rather than dropping the window.
  blackout_schedule unknown{local, "Nowhere/Special"};
  CHECK(unknown.host_zone() == "UTC");
  CHECK(unknown.at(utc(2025, 1, 6, 9, 30)).network.blocked);
}

TEST_CASE("blackout: collection windows block scans, independently of the network") {
  std::vector w{window({"Mon"}, "09:00", "10:00", "UTC", false, true),
                window({"Mon"}, "09:30", "12:00", "UTC", true, false),
                window({"Mon"}, "13:00", "14:00", "UTC", true, true)};
  auto s = at(w, utc(2025, 1, 6, 9, 45));
  CHECK(s.network.blocked);
  CHECK(s.network.until == utc(2025, 1, 6, 12));
  CHECK(s.collection.blocked);
  CHECK(s.collection.until == utc(2025, 1, 6, 10));
  CHECK(s.collection.next_start == utc(2025, 1, 6, 13));

  auto nine = at(w, utc(2025, 1, 6, 9, 10));
  CHECK_FALSE(nine.network.blocked);
  CHECK(nine.network.next_start == utc(2025, 1, 6, 9, 30));
  CHECK(nine.collection.blocked);

  auto one = at(w, utc(2025, 1, 6, 13, 30));
  CHECK(one.network.blocked);
  CHECK(one.collection.blocked);
  CHECK(one.network.until == utc(2025, 1, 6, 14));
  CHECK(one.collection.until == utc(2025, 1, 6, 14));

  // Both switches off: the window blocks nothing.
  std::vector none{window({"Mon"}, "09:00", "10:00", "UTC", false, false)};
  CHECK(at(none, utc(2025, 1, 6, 9, 30)) == blackout_status{});
}

TEST_CASE("blackout: DST days in Europe/Paris") {
  SUBCASE("summer time: a window follows local time (UTC+2)") {
    std::vector w{window({"Mon"}, "09:00", "10:00", "Europe/Paris")};
    auto s = at(w, utc(2025, 7, 7, 7, 30)); // Monday 09:30 CEST
    CHECK(s.network.blocked);
    CHECK(s.network.until == utc(2025, 7, 7, 8));
  }
  SUBCASE("spring forward: a start in the skipped hour rounds forward to 03:00") {
    // 2025-03-30, Sunday: 02:00 CET jumps to 03:00 CEST (01:00 UTC).
    std::vector w{window({"Sun"}, "02:30", "04:00", "Europe/Paris")};
    auto before = at(w, utc(2025, 3, 30, 0, 59));
    CHECK_FALSE(before.network.blocked);
    CHECK(before.network.next_start == utc(2025, 3, 30, 1));
    auto inside = at(w, utc(2025, 3, 30, 1, 30));
    CHECK(inside.network.blocked);
    CHECK(inside.network.until == utc(2025, 3, 30, 2)); // 04:00 CEST
  }
  SUBCASE("spring forward: an end in the skipped hour rounds forward too") {
    std::vector w{window({"Sun"}, "01:00", "02:30", "Europe/Paris")};
    CHECK(at(w, utc(2025, 3, 30, 0, 30)).network.until == utc(2025, 3, 30, 1));
  }
  SUBCASE("spring forward: a window wholly inside the gap does not happen that day") {
    std::vector w{window({"Sun"}, "02:10", "02:50", "Europe/Paris")};
    auto s = at(w, utc(2025, 3, 30, 0, 30));
    CHECK_FALSE(s.network.blocked);
    CHECK(s.network.next_start == utc(2025, 4, 6, 0, 10)); // next Sunday 02:10 CEST
  }
  SUBCASE("fall back: a repeated time means its first occurrence") {
    // 2025-10-26, Sunday: 03:00 CEST falls back to 02:00 CET (01:00 UTC).
    std::vector w{window({"Sun"}, "02:30", "05:00", "Europe/Paris")};
    auto before = at(w, utc(2025, 10, 26, 0, 15));
    CHECK(before.network.next_start == utc(2025, 10, 26, 0, 30)); // 02:30 CEST
    auto inside = at(w, utc(2025, 10, 26, 0, 45));
    CHECK(inside.network.blocked);
    CHECK(inside.network.until == utc(2025, 10, 26, 4)); // 05:00 CET: 4 h 30 of blackout
    std::vector overnight{window({"Sat"}, "23:00", "02:30", "Europe/Paris")};
    CHECK(at(overnight, utc(2025, 10, 25, 22)).network.until == utc(2025, 10, 26, 0, 30));
  }
}

TEST_CASE("blackout: malformed windows are ignored with a reason, the rest apply") {
  std::vector<blackout_window> w{
    window({"Mon", "Funday"}, "09:00", "10:00"),
    window({"Mon"}, "25:00", "10:00"),
    window({"Mon"}, "09:00", "09:00"),
    window({"Mon"}, "09:00", "10:00", "Mars/Olympus_Mons"),
    window({}, "09:00", "10:00"),
    window({"Mon"}, "09:00", "10:00", "../../etc/passwd"),
    window({"Tue"}, "09:00", "10:00"),
  };
  blackout_schedule schedule{w, "UTC"};
  REQUIRE(schedule.ignored().size() == 6);
  CHECK(schedule.size() == 1);
  CHECK(schedule.ignored()[0].index == 0);
  CHECK(schedule.ignored()[0].reason.find("days[1]") == 0);
  CHECK(schedule.ignored()[1].reason.find("start") == 0);
  CHECK(schedule.ignored()[2].reason.find("end: equals start") == 0);
  CHECK(schedule.ignored()[3].reason.find("unknown to the tz database") != std::string::npos);
  CHECK(schedule.ignored()[3].index == 3);
  CHECK(schedule.ignored()[4].reason.find("days") == 0);
  CHECK(schedule.ignored()[5].reason.find("time_zone") == 0);
  CHECK_FALSE(schedule.at(utc(2025, 1, 6, 9, 30)).network.blocked);
  CHECK(schedule.at(utc(2025, 1, 7, 9, 30)).network.blocked);
}

TEST_CASE("blackout: the host time zone: TZ, then /etc/localtime, then /etc/timezone, then UTC") {
  test::temp_dir etc;
  CHECK(host_time_zone(std::nullopt, etc.path()) == "UTC");
  test::write_file(etc / "timezone", "America/New_York\n");
  CHECK(host_time_zone(std::nullopt, etc.path()) == "America/New_York");
  std::filesystem::create_symlink("/usr/share/zoneinfo/Europe/Paris", etc / "localtime");
  CHECK(host_time_zone(std::nullopt, etc.path()) == "Europe/Paris");
  CHECK(host_time_zone(":Asia/Tokyo", etc.path()) == "Asia/Tokyo");
  CHECK(host_time_zone("Asia/Tokyo", etc.path()) == "Asia/Tokyo");
  CHECK(host_time_zone("/usr/share/zoneinfo/Asia/Tokyo", etc.path()) == "Asia/Tokyo");
  // A POSIX rule string or an unknown name is not a zone name: the link decides.
  CHECK(host_time_zone("CET-1CEST", etc.path()) == "Europe/Paris");
  CHECK(host_time_zone("", etc.path()) == "Europe/Paris");
  CHECK(is_known_time_zone("Europe/Paris"));
  CHECK_FALSE(is_known_time_zone("Europe/Atlantis"));
  CHECK_FALSE(is_known_time_zone("../zoneinfo/UTC"));
}

TEST_CASE("blackout: the resume jitter is uniform in [0, 60 s)") {
  std::mt19937_64 random{42};
  std::set<int64_t> seen;
  auto lowest = max_resume_jitter;
  auto highest = 0ms;
  for (int i = 0; i < 2000; ++i) {
    auto d = resume_jitter(random);
    REQUIRE(d >= 0ms);
    REQUIRE(d < 60s);
    lowest = std::min(lowest, d);
    highest = std::max(highest, d);
    seen.insert(d.count());
  }
  CHECK(lowest < 1s);       // spread over the whole minute
  CHECK(highest > 59s);
  CHECK(seen.size() > 1900); // not a handful of values
  auto end = utc(2025, 1, 6, 17);
  auto resume = resume_time(end, random);
  CHECK(resume >= end);
  CHECK(resume < end + 60s);
}
