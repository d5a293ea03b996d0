#include "actors/blackout_gate.hpp"

#include "actors/checkin.hpp"
#include "protocol/profile.hpp"

namespace vigil {

blackout_gate::blackout_gate(std::shared_ptr<kv_store> store, std::string host_zone,
                             std::function<blackout_clock::time_point()> now)
  : store_{std::move(store)}, host_zone_{std::move(host_zone)}, clock_{std::move(now)} {
}

blackout_status blackout_gate::now() {
  std::lock_guard guard{mutex_};
  auto stored = store_->get("config", checkin_keys::profile);
  auto text = stored && *stored ? **stored : std::string{};
  if (text != profile_text_) {
    profile_text_ = text;
    schedule_ = {};
    std::vector<caf::error> dropped; // logged by the blackout actor
    if (auto p = protocol::parse_profile_body(text, dropped))
      schedule_ = blackout_schedule{p->blackout_windows, host_zone_};
  }
  return schedule_.at(clock_());
}

} // namespace vigil
