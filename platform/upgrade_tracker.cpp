#include "platform/upgrade_tracker.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

using nlohmann::json;

namespace vigil::platform {

void upgrade_tracker::count(const host_upgrade& h, int sign) {
  if (!counts_as_tried(h.report.state))
    return;
  auto& t = tallies_[{h.report.target, h.serial}];
  auto add = [sign](uint64_t& n) { n = sign > 0 ? n + 1 : (n > 0 ? n - 1 : 0); };
  add(t.tried);
  if (h.report.state == "succeeded")
    add(t.succeeded);
  if (h.report.state == "rolled_back")
    add(t.rolled_back);
}

bool upgrade_tracker::record(const std::string& host_id, const protocol::upgrade_report& report,
                             uint64_t serial_of_target) {
  auto& h = hosts_[host_id];
  if (h.report == report)
    return false;
  count(h, -1);
  h.report = report;
  h.serial = serial_of_target;
  if (report.state == "rolled_back" && !report.target.empty()) {
    auto& highest = h.rolled_back[report.target];
    highest = std::max(highest, serial_of_target);
  }
  count(h, +1);
  return true;
}

void upgrade_tracker::restore(const std::string& host_id, const json& stored) {
  if (!stored.is_object())
    return;
  host_upgrade h;
  auto text = [&](const char* key, std::string& out) {
    if (auto i = stored.find(key); i != stored.end() && i->is_string())
      out = i->get<std::string>();
  };
  text("state", h.report.state);
  text("target", h.report.target);
  text("reason", h.report.reason);
  if (auto i = stored.find("at"); i != stored.end() && i->is_number_integer())
    h.report.at = i->get<int64_t>();
  if (auto i = stored.find("serial"); i != stored.end() && i->is_number_unsigned())
    h.serial = i->get<uint64_t>();
  if (auto i = stored.find("rolled_back"); i != stored.end() && i->is_object())
    for (auto& [version, serial] : i->items())
      if (serial.is_number_unsigned())
        h.rolled_back[version] = serial.get<uint64_t>();
  auto& slot = hosts_[host_id];
  count(slot, -1);
  slot = std::move(h);
  count(slot, +1);
}

void upgrade_tracker::forget(const std::string& host_id) {
  auto i = hosts_.find(host_id);
  if (i == hosts_.end())
    return;
  count(i->second, -1);
  hosts_.erase(i);
}

host_upgrade upgrade_tracker::of(const std::string& host_id) const {
  auto i = hosts_.find(host_id);
  return i == hosts_.end() ? host_upgrade{} : i->second;
}

rollout_tally upgrade_tracker::tally(const std::string& version, uint64_t serial) const {
  auto i = tallies_.find({version, serial});
  return i == tallies_.end() ? rollout_tally{} : i->second;
}

json upgrade_tracker::to_json(const std::string& host_id) const {
  auto h = of(host_id);
  json rolled_back = json::object();
  for (auto& [version, serial] : h.rolled_back)
    rolled_back[version] = serial;
  return {{"state", h.report.state},   {"target", h.report.target}, {"reason", h.report.reason},
          {"at", h.report.at},         {"serial", h.serial},        {"rolled_back", rolled_back}};
}

} // namespace vigil::platform
