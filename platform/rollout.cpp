#include "platform/rollout.hpp"

namespace vigil::platform {

bool counts_as_tried(std::string_view state) noexcept {
  return state == "installing" || state == "succeeded" || state == "rolled_back";
}

bool should_halt(const rollout_tally& tally, const halt_rule& rule) noexcept {
  auto min_rollbacks = static_cast<uint64_t>(rule.min_rollbacks < 1 ? 1 : rule.min_rollbacks);
  auto percent = static_cast<uint64_t>(rule.percent < 0 ? 0 : rule.percent);
  return tally.rolled_back >= min_rollbacks && tally.rolled_back * 100 >= percent * tally.tried;
}

std::string_view to_string(offer_decision decision) noexcept {
  switch (decision) {
    case offer_decision::no_target: return "no_target";
    case offer_decision::no_release: return "no_release";
    case offer_decision::current: return "current";
    case offer_decision::not_in_rollout: return "not_in_rollout";
    case offer_decision::halted: return "halted";
    case offer_decision::rolled_back: return "rolled_back";
    case offer_decision::offer: return "offer";
  }
  return "unknown";
}

offer_decision decide_offer(const offer_inputs& in) {
  if (in.target_version.empty())
    return offer_decision::no_target;
  if (!in.release_exists)
    return offer_decision::no_release;
  if (in.agent_version == in.target_version)
    return offer_decision::current;
  if (!in_rollout(in.host_id, in.rollout_percent))
    return offer_decision::not_in_rollout;
  if (in.release_halted)
    return offer_decision::halted;
  if (in.rolled_back_serial != 0 && in.rolled_back_serial >= in.release_serial)
    return offer_decision::rolled_back;
  return offer_decision::offer;
}

} // namespace vigil::platform
