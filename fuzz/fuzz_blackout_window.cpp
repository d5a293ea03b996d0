// Fuzz target: blackout window validation. The input is a window, one field a
// line: days (comma-separated), start, end and, when present, the time zone;
// it is checked with validate() and, as the profile carries it, with
// parse_blackout_window. The input is also tried whole as a window's JSON.
// Properties: no crash; validate() accepts exactly what the field parsers
// accept; parse_blackout_window agrees with validate(); a time zone name
// accepted by is_time_zone_name cannot leave the zoneinfo directory.

#include <nlohmann/json.hpp>

#include "fuzz/fuzz_support.hpp"
#include "protocol/blackout_window.hpp"
#include "protocol/profile.hpp"

namespace {

using namespace vigil::protocol;
namespace fuzz = vigil::fuzz;

std::vector<std::string> split_days(std::string_view text) {
  std::vector<std::string> days;
  if (text.empty())
    return days;
  for (;;) {
    auto comma = text.find(',');
    days.emplace_back(text.substr(0, comma));
    if (comma == std::string_view::npos)
      return days;
    text.remove_prefix(comma + 1);
  }
}

void check_time_zone_name(std::string_view name) {
  if (!is_time_zone_name(name))
    return;
  fuzz::check(!name.empty() && name.front() != '/' && name.back() != '/'
                && name.find("//") == std::string_view::npos,
              "a time zone name is relative, without empty segments");
  fuzz::check(name.front() != '.' && name.find("/.") == std::string_view::npos,
              "no segment of a time zone name starts with a dot");
  fuzz::check(name.find('\0') == std::string_view::npos, "a time zone name has no NUL");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto text = fuzz::as_text(data, size);
  auto lines = fuzz::split_lines(text);
  for (const auto& line : lines) {
    (void)parse_hhmm(line);
    (void)day_index(line);
    check_time_zone_name(line);
  }

  blackout_window window;
  if (!lines.empty())
    window.days = split_days(lines[0]);
  if (lines.size() > 1)
    window.start = lines[1];
  if (lines.size() > 2)
    window.end = lines[2];
  if (lines.size() > 3)
    window.time_zone = lines[3];
  auto problem = validate(window);
  if (!problem) {
    fuzz::check(!window.days.empty(), "a valid window has a day");
    for (const auto& day : window.days)
      fuzz::check(day_index(day).has_value(), "a valid window's days are day names");
    auto start = parse_hhmm(window.start);
    auto end = parse_hhmm(window.end);
    fuzz::check(start && end && *start != *end, "a valid window's times parse and differ");
    fuzz::check(!window.time_zone || is_time_zone_name(*window.time_zone),
                "a valid window's time zone is a name");
  }

  // As a profile carries it. nlohmann::json refuses invalid UTF-8 only when
  // dumping, so the parser sees whatever bytes the fields hold.
  nlohmann::json json = {{"days", window.days}, {"start", window.start}, {"end", window.end}};
  if (window.time_zone)
    json["time_zone"] = *window.time_zone;
  auto parsed = parse_blackout_window(json);
  fuzz::check(static_cast<bool>(parsed) == !problem, "parse_blackout_window agrees with validate");
  if (parsed)
    fuzz::check(*parsed == window, "parse_blackout_window keeps the fields");

  auto whole = nlohmann::json::parse(text, nullptr, false);
  if (!whole.is_discarded())
    (void)parse_blackout_window(whole);
  return 0;
}
