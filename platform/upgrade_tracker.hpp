#pragma once

// The platform's memory of every host's upgrades (SPEC §12): the latest
// report each host sent, the releases each host rolled back, and how each
// release fared, which is what halts a rollout. Not thread-safe: the service
// guards it.

#include <cstdint>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <unordered_map>
#include <utility>

#include "platform/rollout.hpp"
#include "protocol/checkin.hpp"

namespace vigil::platform {

/// One host's upgrades as the platform knows them.
struct host_upgrade {
  /// The latest report; state "none" (and nothing else) when it never sent one.
  protocol::upgrade_report report{"none", "", "", 0};
  /// The serial of the release `report.target` when the platform first saw
  /// this report (0: no such release then). It ties the report to one
  /// rollout: a release added again (a higher serial) starts with no reports.
  uint64_t serial = 0;
  /// Version -> the highest serial at which the host reported rolling it back.
  std::map<std::string, uint64_t> rolled_back;

  friend bool operator==(const host_upgrade&, const host_upgrade&) = default;
};

/// Every host's `host_upgrade` and the tally of every release.
class upgrade_tracker {
public:
  /// Takes `report` as `host_id`'s latest. `serial_of_target` is the current
  /// serial of the release `report.target` (0 when none exists). A report
  /// equal to the one held (same state, target, reason and time) changes
  /// nothing, and keeps its first serial. Returns whether anything changed,
  /// so the caller knows to persist `to_json(host_id)`.
  bool record(const std::string& host_id, const protocol::upgrade_report& report,
              uint64_t serial_of_target);

  /// Restores `host_id`'s state from `to_json`'s output (a stored check-in
  /// record's "upgrade" object); malformed parts are left at their defaults.
  void restore(const std::string& host_id, const nlohmann::json& stored);

  /// Drops everything known about `host_id` and its part in the tallies: the
  /// host was removed from the platform (an uninstall it acknowledged), as if
  /// it had never reported. Halts already decided stay (they are stored).
  void forget(const std::string& host_id);

  /// What is known about `host_id` (the defaults when nothing is).
  host_upgrade of(const std::string& host_id) const;

  /// How the hosts fared with `version` at metadata serial `serial`: every
  /// host whose latest report concerns it counts once, by that report.
  rollout_tally tally(const std::string& version, uint64_t serial) const;

  /// `host_id`'s state for storage: {"state", "target", "reason", "at",
  /// "serial", "rolled_back": {version: serial}}.
  nlohmann::json to_json(const std::string& host_id) const;

private:
  void count(const host_upgrade& h, int sign);

  std::unordered_map<std::string, host_upgrade> hosts_;
  std::map<std::pair<std::string, uint64_t>, rollout_tally> tallies_;
};

} // namespace vigil::platform
