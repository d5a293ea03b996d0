#include "protocol/blackout_window.hpp"

#include "protocol/json_reader.hpp"

namespace vigil::protocol {

namespace {

bool is_digit(char c) noexcept {
  return c >= '0' && c <= '9';
}

bool is_zone_char(char c) noexcept {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || is_digit(c) || c == '_' || c == '-'
         || c == '+' || c == '.';
}

} // namespace

std::optional<int> parse_hhmm(std::string_view text) noexcept {
  if (text.size() != 5 || text[2] != ':' || !is_digit(text[0]) || !is_digit(text[1])
      || !is_digit(text[3]) || !is_digit(text[4]))
    return std::nullopt;
  int hours = (text[0] - '0') * 10 + (text[1] - '0');
  int minutes = (text[3] - '0') * 10 + (text[4] - '0');
  if (hours > 23 || minutes > 59)
    return std::nullopt;
  return hours * 60 + minutes;
}

std::optional<int> day_index(std::string_view name) noexcept {
  for (int i = 0; i < 7; ++i)
    if (day_names[i] == name)
      return i;
  return std::nullopt;
}

bool is_time_zone_name(std::string_view name) noexcept {
  if (name.empty() || name.size() > 255)
    return false;
  size_t segment_start = 0;
  for (size_t i = 0; i <= name.size(); ++i) {
    if (i == name.size() || name[i] == '/') {
      if (i == segment_start || name[segment_start] == '.')
        return false;
      segment_start = i + 1;
    } else if (!is_zone_char(name[i])) {
      return false;
    }
  }
  return true;
}

std::optional<window_problem> validate(const blackout_window& window) {
  if (window.days.empty())
    return window_problem{"days", "empty"};
  for (size_t i = 0; i < window.days.size(); ++i)
    if (!day_index(window.days[i]))
      return window_problem{"days[" + std::to_string(i) + "]",
                            "unknown day " + quoted_value(window.days[i])
                              + " (expected Mon, Tue, Wed, Thu, Fri, Sat or Sun)"};
  auto start = parse_hhmm(window.start);
  if (!start)
    return window_problem{"start", "not HH:MM: " + quoted_value(window.start)};
  auto end = parse_hhmm(window.end);
  if (!end)
    return window_problem{"end", "not HH:MM: " + quoted_value(window.end)};
  if (*start == *end)
    return window_problem{"end", "equals start (an empty window)"};
  if (window.time_zone && !is_time_zone_name(*window.time_zone))
    return window_problem{"time_zone", "not a time zone name: " + quoted_value(*window.time_zone)};
  return std::nullopt;
}

} // namespace vigil::protocol
