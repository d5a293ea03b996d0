// Network blackout windows (SPEC §9b) with the real agent and platform: inside
// a window nothing reaches the platform, scans still run, and their deltas
// arrive after the window ends.

#include <doctest/doctest.h>
#include <algorithm>
#include <csignal>
#include <ctime>
#include <nlohmann/json.hpp>
#include <thread>

#include "tests/actors/synced_host.hpp"

using namespace vigil;
using namespace vigil::test;
using namespace std::chrono_literals;

namespace {

/// "HH:MM" of `t` in UTC.
std::string hhmm(std::time_t t) {
  std::tm parts{};
  gmtime_r(&t, &parts);
  char text[8];
  std::strftime(text, sizeof text, "%H:%M", &parts);
  return text;
}

/// "Mon".."Sun" of `t` in UTC.
std::string weekday(std::time_t t) {
  static const char* names[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  std::tm parts{};
  gmtime_r(&t, &parts);
  return names[parts.tm_wday];
}

size_t requests_from(const std::vector<logged_request>& log, const std::string& host, size_t from) {
  size_t n = 0;
  for (size_t i = from; i < log.size(); ++i)
    n += log[i].host == host;
  return n;
}

} // namespace

TEST_CASE("blackout: inside a network window nothing is sent, scans run, deltas follow the window") {
  // One short real window: the rules (days, zones, midnight, overlaps, the
  // resume jitter) are covered in virtual time (blackout_test); this shows
  // the real agent and platform obey one window.
  synced_host h{500};
  auto agent = start_agent(h.root);
  REQUIRE(h.wait_in_sync(60s));
  auto host = host_id_of(h.root);
  // Windows are whole minutes (HH:MM): this one is the rest of the current
  // minute (UTC), or the next minute when less than 15 s of this one is left
  // (learning the window and a scan inside it take a few seconds). It lasts
  // 45 s on average, the resume jitter after it 30 s.
  auto now = std::time(nullptr);
  auto start = now - now % 60;
  if (now - start > 45)
    start += 60;
  auto end = start + 60; // 23:59-00:00 spans midnight: it starts on the first day
  nlohmann::json windows = nlohmann::json::array(
    {{{"days", {weekday(start)}}, {"start", hhmm(start)}, {"end", hhmm(end)}, {"time_zone", "UTC"}}});
  MESSAGE("window " << hhmm(start) << "-" << hhmm(end) << " UTC, " << end - now << " s from now");
  REQUIRE(set_profile(h.platform, h.ids.second, {"BlackoutWindows=" + windows.dump()}) == 0);
  auto network_log = [&] { return read_file(h.root / "var/opt/vigil/Log/Network.log"); };
  auto config_log = [&] { return read_file(h.root / "var/opt/vigil/Log/Config.log"); };
  // The agent learns the window at its next check-in, then goes quiet.
  REQUIRE(wait_until([&] {
    return config_log().find("blackout window: check-ins wait") != std::string::npos;
  }, std::chrono::seconds{std::max<std::time_t>(start - now, 0)} + 30s));
  CHECK(wait_until([&] {
    return network_log().find("network blackout window entered") != std::string::npos;
  }, 10s));
  auto quiet_from = request_log(h.platform).size();
  // Files change; an on-demand scan runs and completes inside the window.
  write_file(h.root / "etc/ssh/sshd_config", "PermitRootLogin no\nX11Forwarding yes\n");
  REQUIRE(h.scan_now("PolicyCompliance"));
  CHECK(snapshot_rows(h.root, "PolicyCompliance")
        != platform_rows(h.platform, host, "PolicyCompliance"));
  // Nothing reached the platform while the window lasts.
  auto window_left = std::chrono::seconds{end - std::time(nullptr)};
  CHECK(window_left > 3s);
  std::this_thread::sleep_for(window_left - 1s); // observing the window is the point here
  CHECK(requests_from(request_log(h.platform), host, quiet_from) == 0);
  // After the window: contact resumes after the jitter (below a minute), and
  // the delta arrives.
  auto ended = std::chrono::steady_clock::now();
  REQUIRE(h.wait_in_sync(90s));
  auto took = std::chrono::steady_clock::now() - ended;
  CHECK(wait_until([&] {
    return network_log().find("network blackout window ended") != std::string::npos;
  }, 10s));
  auto log = network_log();
  auto jitter = log.find("resuming in ");
  MESSAGE("in sync " << std::chrono::duration_cast<std::chrono::seconds>(took).count()
                     << " s after the window's end; the agent logged: "
                     << (jitter == std::string::npos ? std::string{"no resume jitter"}
                                                     : log.substr(jitter, log.find('\n', jitter) - jitter)));
  CHECK(took < 70s);
  CHECK(applied_at_most_once(request_log(h.platform)));
  agent->signal(SIGTERM);
  CHECK(agent->wait() == 0);
}
