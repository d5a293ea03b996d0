#include "installer/upgrade_watch.hpp"

#include <thread>

#include "common/error.hpp"
#include "host/agent_status.hpp"
#include "host/atomic_file.hpp"
#include "host/hive_store.hpp"
#include "host/process_id.hpp"

namespace fs = std::filesystem;

namespace vigil {

namespace {

fs::path previous_files(const paths& p) {
  return fs::path{p.program_files().string() + ".previous"};
}

/// What the watch saw of the new version, for the rollback's reason.
enum class seen { nothing, version, checked_in };

/// Whether the new version's latest check-in since `since` failed because
/// the platform answered busy (429, 5xx: `ec::busy`), which is the
/// platform's trouble, not the new version's.
bool platform_busy(const agent_status& s, int64_t since) {
  return s.last_checkin_error_code == "busy" && s.last_checkin_error_at >= since
         && s.last_checkin < s.last_checkin_error_at;
}

} // namespace

std::chrono::seconds upgrade_watch_deadline(const paths& p, std::chrono::seconds fallback) {
  auto h = open_hive_store(p)->load();
  if (!h)
    return fallback;
  auto* v = h->get(std::string{agent_key} + "\\SelfPatch", "WatchSeconds");
  if (v == nullptr || !v->as_number() || *v->as_number() < 10)
    return fallback;
  return std::chrono::seconds{static_cast<int64_t>(*v->as_number())};
}

caf::expected<upgrade_marker> roll_back_upgrade(const paths& p, service_manager& service,
                                                installer_log& log, upgrade_marker marker,
                                                const std::string& reason, int64_t now) {
  log.write("rolling back to " + marker.from + ": " + reason);
  (void) service.stop();
  auto files = p.program_files();
  auto previous = previous_files(p);
  std::error_code err;
  if (fs::exists(previous, err)) {
    // One atomic exchange: killed at any instant, the program files are one
    // whole version. The failed version, now at the previous name, goes.
    if (auto swapped = exchange_paths(previous, files); !swapped)
      return swapped.error();
    fs::remove_all(previous, err);
  }
  marker.state = "rolled_back";
  marker.reason = reason;
  marker.at = now;
  marker.watcher_pid = 0;
  if (auto ok = save_upgrade_marker(p, marker); !ok)
    return ok.error();
  if (auto ok = service.start(); !ok)
    return ok.error();
  log.write("rolled back: " + marker.from + " runs again");
  return marker;
}

caf::expected<upgrade_marker> watch_upgrade(const paths& p, service_manager& service,
                                            installer_log& log, upgrade_marker marker,
                                            const upgrade_watch_options& options) {
  auto now = options.now;
  marker.state = "watching";
  if (marker.started_at == 0) // normally set before the service started
    marker.started_at = now();
  marker.at = now();
  marker.deadline = marker.at + options.deadline.count();
  marker.watcher_pid = current_process_id();
  if (auto ok = save_upgrade_marker(p, marker); !ok)
    return ok.error();
  log.write("watching " + marker.target + " until it checks in, for at most "
            + std::to_string(options.deadline.count()) + " s");
  auto what = seen::nothing;
  int64_t excused = 0; // seconds the platform answered busy, added to the deadline
  auto polled_at = now();
  while (now() < marker.deadline) {
    auto t = now();
    auto step = t - polled_at;
    polled_at = t;
    if (auto status = load_agent_status(p); status && status->version == marker.target
                                            && status->started_at >= marker.started_at) {
      what = std::max(what, seen::version);
      // A check-in of this very process: `last_checkin` alone may be the
      // previous version's, from the second the new one started.
      if (status->checkins_since_start > 0 && status->last_checkin >= marker.started_at) {
        what = seen::checked_in;
        break;
      }
      if (platform_busy(*status, marker.started_at) && step > 0
          && excused < options.busy_allowance.count()) {
        if (excused == 0)
          log.write("the platform answers " + marker.target + "'s check-ins busy ("
                    + status->last_checkin_error
                    + "): that time does not count against it");
        excused += step;
        marker.deadline += step;
        if (auto ok = save_upgrade_marker(p, marker); !ok)
          return ok.error();
      }
    }
    std::this_thread::sleep_for(options.poll);
  }
  if (what != seen::checked_in) {
    auto reason = what == seen::nothing
                    ? "not_started: " + marker.target + " did not start and report its version within "
                        + std::to_string(options.deadline.count()) + " s"
                    : "never_checked_in: " + marker.target + " started but did not check in within "
                        + std::to_string(options.deadline.count()) + " s"
                        + (excused > 0 ? " (and " + std::to_string(excused)
                                           + " s the platform answered busy)"
                                       : std::string{});
    return roll_back_upgrade(p, service, log, marker, reason, now());
  }
  std::error_code ignored;
  fs::remove_all(previous_files(p), ignored);
  marker.state = "succeeded";
  marker.reason.clear();
  marker.at = now();
  marker.watcher_pid = 0;
  if (auto ok = save_upgrade_marker(p, marker); !ok)
    return ok.error();
  log.write(marker.target + " started and checked in: upgrade succeeded");
  return marker;
}

} // namespace vigil
