#include "actors/blackout_logic.hpp"

#include <algorithm>
#include <fstream>
#include <system_error>

#include "actors/time_zone.hpp"
#include "common/error.hpp"

namespace vigil {

namespace {

using std::chrono::days;
using std::chrono::minutes;
using sys_seconds = zone_sys_seconds;
using local_seconds = zone_local_seconds;

/// Occurrences are generated from this many local days before today...
constexpr int days_before = 2;
/// ...to this many after: every occurrence starting within a week of now is
/// present, so merged periods are exact up to now + 7 days.
constexpr int days_after = 8;
/// A blocking period reaching this far is endless: the week repeats.
constexpr auto endless = days{7};

/// The zone named `name`, or why there is none (also when the tz database
/// is missing): the seam (time_zone.hpp) says what this build knows.
caf::expected<std::shared_ptr<const time_zone_rules>> find_zone(std::string_view name) {
  if (!protocol::is_time_zone_name(name))
    return make_error(ec::invalid_argument, "not a time zone name: \"" + std::string{name} + "\"");
  return find_time_zone(name);
}

bool is_utc_name(std::string_view name) noexcept {
  return name == "UTC" || name == "Etc/UTC" || name == "Etc/UCT" || name == "UCT"
         || name == "Zulu" || name == "Etc/Zulu" || name == "Universal" || name == "Etc/Universal"
         || name == "GMT" || name == "Etc/GMT";
}

/// The instant a local time names in `zone` (null: UTC), with the DST rules
/// of the header: a skipped time rounds forward to the end of the gap, a
/// repeated one means its first occurrence.
sys_seconds to_sys(const time_zone_rules* zone, local_seconds local) {
  if (zone == nullptr)
    return sys_seconds{local.time_since_epoch()};
  return zone->to_sys(local);
}

local_seconds to_local(const time_zone_rules* zone, sys_seconds t) {
  if (zone == nullptr)
    return local_seconds{t.time_since_epoch()};
  return zone->to_local(t);
}

struct interval {
  sys_seconds begin;
  sys_seconds end;
};

/// Sorted, overlapping and adjacent intervals joined.
std::vector<interval> merge(std::vector<interval> in) {
  std::sort(in.begin(), in.end(), [](auto& a, auto& b) { return a.begin < b.begin; });
  std::vector<interval> out;
  for (auto& i : in) {
    if (!out.empty() && i.begin <= out.back().end)
      out.back().end = std::max(out.back().end, i.end);
    else
      out.push_back(i);
  }
  return out;
}

blackout_period period_at(const std::vector<interval>& merged, blackout_clock::time_point now) {
  blackout_period out;
  for (auto& block : merged) {
    if (block.begin <= now && now < block.end) {
      out.blocked = true;
      if (block.end - now < endless)
        out.until = block.end;
      else
        return out; // endless: no end, no next start
    } else if (block.begin > now) {
      out.next_start = block.begin;
      break;
    }
  }
  return out;
}

/// What a `TZ` value or a zoneinfo path names: "Europe/Paris" from
/// ":Europe/Paris" or "/usr/share/zoneinfo/Europe/Paris".
std::string zone_name_of(std::string_view text) {
  if (!text.empty() && text.front() == ':')
    text.remove_prefix(1);
  if (auto at = text.rfind("zoneinfo/"); at != std::string_view::npos)
    text.remove_prefix(at + 9);
  for (std::string_view prefix : {"posix/", "right/"})
    if (text.substr(0, prefix.size()) == prefix)
      text.remove_prefix(prefix.size());
  return std::string{text};
}

} // namespace

bool is_known_time_zone(std::string_view name) noexcept {
  return static_cast<bool>(find_zone(name));
}

std::string host_time_zone(std::optional<std::string_view> tz, const std::filesystem::path& etc) {
  auto known = [](const std::string& name) { return is_utc_name(name) || is_known_time_zone(name); };
  if (tz) {
    if (auto name = zone_name_of(*tz); known(name))
      return name;
  }
  std::error_code err;
  if (auto target = std::filesystem::read_symlink(etc / "localtime", err); !err) {
    if (auto name = zone_name_of(target.string()); known(name))
      return name;
  }
  std::ifstream file{etc / "timezone"};
  std::string line;
  if (file && std::getline(file, line)) {
    line.erase(line.find_last_not_of(" \t\r\n") + 1);
    if (auto name = zone_name_of(line); known(name))
      return name;
  }
  return "UTC";
}

blackout_schedule::blackout_schedule(const std::vector<protocol::blackout_window>& windows,
                                     std::string_view host_zone) {
  std::shared_ptr<const time_zone_rules> host;
  if (auto zone = find_zone(host_zone)) {
    host = std::move(*zone);
    host_zone_ = std::string{host_zone};
  }
  for (size_t i = 0; i < windows.size(); ++i) {
    auto& in = windows[i];
    if (auto problem = protocol::validate(in)) {
      ignored_.push_back({i, problem->field + ": " + problem->what});
      continue;
    }
    window w;
    for (auto& day : in.days)
      w.days[static_cast<size_t>(*protocol::day_index(day))] = true;
    w.start = *protocol::parse_hhmm(in.start);
    w.end = *protocol::parse_hhmm(in.end);
    w.network = in.network;
    w.collection = in.collection;
    w.zone = host;
    if (in.time_zone) {
      auto zone = find_zone(*in.time_zone);
      if (!zone) {
        ignored_.push_back({i, "time_zone: " + context_of(zone.error())});
        continue;
      }
      w.zone = std::move(*zone);
    }
    if (!w.network && !w.collection)
      continue; // blocks nothing; well formed, so not reported
    windows_.push_back(w);
  }
}

blackout_status blackout_schedule::at(blackout_clock::time_point now) const {
  std::vector<interval> network;
  std::vector<interval> collection;
  auto now_s = std::chrono::floor<std::chrono::seconds>(now);
  for (auto& w : windows_) {
    auto* zone = w.zone.get();
    auto today = std::chrono::floor<days>(to_local(zone, now_s));
    for (int k = -days_before; k <= days_after; ++k) {
      auto day = today + days{k};
      // std::chrono::weekday's C encoding counts from Sunday; ours from Monday.
      auto index = (std::chrono::weekday{day}.c_encoding() + 6) % 7;
      if (!w.days[index])
        continue;
      auto begin = to_sys(zone, day + minutes{w.start});
      auto end = to_sys(zone, (w.end > w.start ? day : day + days{1}) + minutes{w.end});
      if (begin >= end)
        continue; // wholly inside a DST gap
      if (w.network)
        network.push_back({begin, end});
      if (w.collection)
        collection.push_back({begin, end});
    }
  }
  return {period_at(merge(std::move(network)), now),
          period_at(merge(std::move(collection)), now)};
}

std::chrono::milliseconds resume_jitter(std::mt19937_64& random) {
  std::uniform_int_distribution<int64_t> ms{0, max_resume_jitter.count() - 1};
  return std::chrono::milliseconds{ms(random)};
}

blackout_clock::time_point resume_time(blackout_clock::time_point window_end,
                                       std::mt19937_64& random) {
  return window_end + resume_jitter(random);
}

} // namespace vigil
