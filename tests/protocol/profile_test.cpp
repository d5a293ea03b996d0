#include "protocol/profile.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "tests/protocol/message_check.hpp"

using namespace vigil;
using namespace vigil::protocol;

namespace {

profile sample_profile() {
  return profile{
    .config_id = "cfg-1",
    .etag = "\"e-18\"",
    .capi_interval_s = 120,
    .log_level = "debug",
    .target_version = "0.2.0",
    .self_protection = true,
    .modules = {{"Inventory", true, 3600, 50},
                {"Vulnerability", true, 14400, 25},
                {"PolicyCompliance", false, 86400, 100},
                {"FIM", false, 1, 1}},
    .blackout_windows = {{.days = {"Mon", "Tue", "Wed", "Thu", "Fri"},
                          .start = "09:00",
                          .end = "17:30",
                          .time_zone = "Europe/Paris",
                          .network = true,
                          .collection = true},
                         {.days = {"Sat"},
                          .start = "22:00",
                          .end = "02:00",
                          .time_zone = std::nullopt,
                          .network = false,
                          .collection = false}},
  };
}

caf::error window_error(const nlohmann::json& window) {
  auto json = to_json(sample_profile());
  json["blackout_windows"][1] = window;
  auto parsed = parse_profile(json);
  REQUIRE_FALSE(parsed);
  CHECK(code_of(parsed.error()) == ec::protocol_error);
  return parsed.error();
}

} // namespace

TEST_CASE("profile: generic message checks") {
  test::check_message(sample_profile(),
                      {"/capi_interval_s", "/target_version", "/blackout_windows/0/time_zone",
                       "/blackout_windows/0/network", "/blackout_windows/0/collection",
                       "/blackout_windows/1/network", "/blackout_windows/1/collection"});
}

TEST_CASE("profile: the documented example of a mistyped field") {
  auto json = to_json(sample_profile());
  json["modules"][2]["cpu_limit"] = "50";
  auto parsed = parse_profile(json);
  REQUIRE_FALSE(parsed);
  CHECK(context_of(parsed.error()) == "profile.modules[2].cpu_limit: expected an integer, got string");
}

TEST_CASE("profile: defaults of optional fields") {
  auto json = nlohmann::json::parse(R"({"config_id": "c", "etag": "e", "log_level": "info",
    "self_protection": false, "modules": [],
    "blackout_windows": [{"days": ["Sun"], "start": "01:00", "end": "03:00"}]})");
  auto parsed = parse_profile(json);
  REQUIRE_MESSAGE(parsed, render(parsed.error()));
  CHECK(parsed->capi_interval_s == 900);
  CHECK(parsed->target_version.empty());
  REQUIRE(parsed->blackout_windows.size() == 1);
  const auto& w = parsed->blackout_windows[0];
  CHECK(w.network);
  CHECK_FALSE(w.collection);
  CHECK_FALSE(w.time_zone);
}

TEST_CASE("profile: value ranges and names") {
  struct bad_case {
    const char* pointer;
    nlohmann::json value;
    const char* context;
  };
  const bad_case cases[] = {
    {"/capi_interval_s", 0, "profile.capi_interval_s: must be at least 1"},
    {"/log_level", "verbose",
     "profile.log_level: unknown log level \"verbose\" (expected trace, debug, info, warning, "
     "error, critical or off)"},
    {"/etag", "", "profile.etag: empty"},
    {"/config_id", "", "profile.config_id: empty"},
    {"/modules/0/name", "Inventario", "profile.modules[0].name: unknown module \"Inventario\""},
    {"/modules/1/name", "Inventory", "profile.modules[1].name: duplicate module \"Inventory\""},
    {"/modules/1/scan_interval_s", 0, "profile.modules[1].scan_interval_s: must be at least 1"},
    {"/modules/3/cpu_limit", 0, "profile.modules[3].cpu_limit: out of range: 0 (expected 1 to 100)"},
    {"/modules/3/cpu_limit", 101,
     "profile.modules[3].cpu_limit: out of range: 101 (expected 1 to 100)"},
    {"/modules/3/cpu_limit", 5000000000ll, "profile.modules[3].cpu_limit: out of range: 5000000000"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.pointer);
    auto json = to_json(sample_profile());
    json[nlohmann::json::json_pointer{c.pointer}] = c.value;
    auto parsed = parse_profile(json);
    REQUIRE_FALSE(parsed);
    CHECK(code_of(parsed.error()) == ec::protocol_error);
    CHECK(context_of(parsed.error()) == c.context);
  }
}

TEST_CASE("profile: every log level name is accepted") {
  for (auto level : log_level_names) {
    auto msg = sample_profile();
    msg.log_level = level;
    test::check_round_trip(msg);
  }
}

TEST_CASE("blackout windows: malformed HH:MM, days and zones are named") {
  struct bad_case {
    nlohmann::json window;
    const char* context;
  };
  const bad_case cases[] = {
    {{{"days", nlohmann::json::array()}, {"start", "01:00"}, {"end", "02:00"}},
     "profile.blackout_windows[1].days: empty"},
    {{{"days", {"Mon", "Monday"}}, {"start", "01:00"}, {"end", "02:00"}},
     "profile.blackout_windows[1].days[1]: unknown day \"Monday\" (expected Mon, Tue, Wed, Thu, "
     "Fri, Sat or Sun)"},
    {{{"days", {"mon"}}, {"start", "01:00"}, {"end", "02:00"}},
     "profile.blackout_windows[1].days[0]: unknown day \"mon\" (expected Mon, Tue, Wed, Thu, "
     "Fri, Sat or Sun)"},
    {{{"days", {"Mon"}}, {"start", "24:00"}, {"end", "02:00"}},
     "profile.blackout_windows[1].start: not HH:MM: \"24:00\""},
    {{{"days", {"Mon"}}, {"start", "9:00"}, {"end", "02:00"}},
     "profile.blackout_windows[1].start: not HH:MM: \"9:00\""},
    {{{"days", {"Mon"}}, {"start", "09:00"}, {"end", "12:60"}},
     "profile.blackout_windows[1].end: not HH:MM: \"12:60\""},
    {{{"days", {"Mon"}}, {"start", "09:00"}, {"end", "12-00"}},
     "profile.blackout_windows[1].end: not HH:MM: \"12-00\""},
    {{{"days", {"Mon"}}, {"start", "09:00"}, {"end", " 12:00"}},
     "profile.blackout_windows[1].end: not HH:MM: \" 12:00\""},
    {{{"days", {"Mon"}}, {"start", "09:00"}, {"end", "09:00"}},
     "profile.blackout_windows[1].end: equals start (an empty window)"},
    {{{"days", {"Mon"}}, {"start", "09:00"}, {"end", "10:00"}, {"time_zone", "../../etc/passwd"}},
     "profile.blackout_windows[1].time_zone: not a time zone name: \"../../etc/passwd\""},
    {{{"days", {"Mon"}}, {"start", "09:00"}, {"end", "10:00"}, {"time_zone", "/etc/localtime"}},
     "profile.blackout_windows[1].time_zone: not a time zone name: \"/etc/localtime\""},
    {{{"days", {"Mon"}}, {"start", "09:00"}, {"end", "10:00"}, {"time_zone", ""}},
     "profile.blackout_windows[1].time_zone: not a time zone name: \"\""},
    {{{"days", {"Mon"}}, {"start", "09:00"}, {"end", "10:00"}, {"network", "yes"}},
     "profile.blackout_windows[1].network: expected a boolean, got string"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.window.dump());
    CHECK(context_of(window_error(c.window)) == c.context);
  }
}

TEST_CASE("blackout windows: spans over midnight and IANA names are accepted") {
  for (auto zone : {"UTC", "America/Argentina/Buenos_Aires", "Etc/GMT+5", "Etc/GMT-14"}) {
    CAPTURE(zone);
    auto json = nlohmann::json{
      {"days", {"Sun", "Sat"}}, {"start", "23:59"}, {"end", "00:00"}, {"time_zone", zone}};
    auto parsed = parse_blackout_window(json);
    REQUIRE_MESSAGE(parsed, render(parsed.error()));
    CHECK(parsed->time_zone == zone);
  }
}

TEST_CASE("parse_hhmm, day_index and is_time_zone_name") {
  CHECK(parse_hhmm("00:00") == 0);
  CHECK(parse_hhmm("23:59") == 23 * 60 + 59);
  CHECK(parse_hhmm("09:05") == 9 * 60 + 5);
  for (auto bad : {"", "24:00", "23:60", "1:00", "01:0", "01000", "0a:00", "01:00 "})
    CHECK_FALSE(parse_hhmm(bad));
  CHECK(day_index("Mon") == 0);
  CHECK(day_index("Sun") == 6);
  CHECK_FALSE(day_index("sun"));
  CHECK_FALSE(is_time_zone_name("Europe/../etc"));
  CHECK_FALSE(is_time_zone_name("Europe//Paris"));
  CHECK_FALSE(is_time_zone_name("Europe/Paris/"));
  CHECK_FALSE(is_time_zone_name("Europe/Pa ris"));
  CHECK(is_time_zone_name("Europe/Paris"));
}

TEST_CASE("an agent drops malformed windows and keeps the rest of the profile") {
  auto json = to_json(sample_profile());
  json["blackout_windows"].push_back({{"days", {"Fri"}}, {"start", "25:00"}, {"end", "01:00"}});
  json["blackout_windows"].push_back("not a window");
  std::vector<caf::error> dropped;
  auto parsed = parse_profile(json, &dropped);
  REQUIRE_MESSAGE(parsed, render(parsed.error()));
  CHECK(*parsed == sample_profile());
  REQUIRE(dropped.size() == 2);
  CHECK(context_of(dropped[0]) == "profile.blackout_windows[2].start: not HH:MM: \"25:00\"");
  CHECK(context_of(dropped[1])
        == "profile.blackout_windows[3]: expected an object, got string");
  // The platform, checking strictly, refuses the same profile.
  CHECK_FALSE(parse_profile(json));
  // The body variant behaves the same.
  std::vector<caf::error> body_dropped;
  auto from_body = parse_profile_body(json.dump(), body_dropped);
  REQUIRE(from_body);
  CHECK(*from_body == sample_profile());
  CHECK(body_dropped.size() == 2);
  // Other fields are still checked strictly.
  json["etag"] = 5;
  CHECK_FALSE(parse_profile(json, &dropped));
  CHECK_FALSE(parse_profile_body("nope", body_dropped));
}

TEST_CASE("profile: window validation works on structs too") {
  blackout_window w;
  w.days = {"Tue"};
  w.start = "10:00";
  w.end = "11:00";
  CHECK_FALSE(validate(w));
  w.days.push_back("Dim");
  auto problem = validate(w);
  REQUIRE(problem);
  CHECK(problem->field == "days[1]");
}
