#include "installer/spfkey_gate.hpp"

#include <algorithm>

#include "common/error.hpp"
#include "common/spfkey.hpp"
#include "host/pinned_keys.hpp"

namespace vigil {

namespace {

std::string protection_key() {
  return std::string{agent_key} + "\\SelfProtection";
}

} // namespace

bool self_protection_enabled(const hive& h) {
  auto* v = h.get(protection_key(), "Enabled");
  return v != nullptr && v->as_number() && *v->as_number() == 1;
}

caf::expected<void> pass_spfkey_gate(hive_file& hive, const std::optional<std::string>& key,
                                     int64_t now) {
  auto h = hive.load();
  if (!h)
    return h.error();
  if (!self_protection_enabled(*h))
    return {};
  if (!key)
    return make_error(ec::invalid_argument,
                      "self-protection is on: SPFKEY=<key> is required (vigil-platform spfkey "
                      "--host {HostID} issues one)");
  auto keys = read_pinned_keys(*h);
  if (!keys)
    return make_error(ec::signature_invalid,
                      "self-protection is on and no SPFKEY can be verified: " + render(keys.error()));
  auto* host = h->get(agent_key, "HostID");
  auto host_id = host && host->as_string() ? *host->as_string() : std::string{};
  auto claims = check_spfkey(*key, *keys, host_id, now);
  if (!claims)
    return claims.error();
  auto* used = h->get(protection_key(), "UsedKeys");
  std::vector<std::string> used_list;
  if (used != nullptr)
    if (auto* items = std::get_if<std::vector<std::string>>(&used->data))
      used_list = *items;
  if (std::find(used_list.begin(), used_list.end(), claims->nonce) != used_list.end())
    return make_error(ec::replayed_metadata, "this SPFKEY was used before; ask for a new one");
  used_list.push_back(claims->nonce);
  auto recorded = hive.update([&](vigil::hive& hv) -> caf::expected<void> {
    hv.set(protection_key(), reg_value::multi_sz("UsedKeys", used_list));
    return {};
  });
  if (!recorded)
    return recorded.error();
  return {};
}

} // namespace vigil
