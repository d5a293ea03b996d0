#include "host/self_protection.hpp"

#include <algorithm>

#include "common/error.hpp"
#include "common/spfkey.hpp"
#include "host/pinned_keys.hpp"

namespace vigil {

namespace {

constexpr const char* off_key_value = "OffKey";

std::string host_id_of(const hive& h) {
  auto* host = h.get(agent_key, "HostID");
  return host && host->as_string() ? *host->as_string() : std::string{};
}

std::vector<std::string> used_nonces(const hive& h) {
  auto* used = h.get(self_protection_key(), "UsedKeys");
  if (used != nullptr)
    if (auto* items = std::get_if<std::vector<std::string>>(&used->data))
      return *items;
  return {};
}

caf::expected<spfkey_claims> check_key(const hive& h, std::string_view key, int64_t now) {
  auto keys = read_pinned_keys(h);
  if (!keys)
    return make_error(ec::signature_invalid,
                      "no SPFKEY can be verified on this host: " + render(keys.error()));
  return check_spfkey(key, *keys, host_id_of(h), now);
}

} // namespace

std::string self_protection_key() {
  return std::string{agent_key} + "\\SelfProtection";
}

protection_state read_protection_state(const hive& h, int64_t now) {
  protection_state state;
  auto* enabled = h.get(self_protection_key(), "Enabled");
  state.requested = enabled != nullptr && enabled->as_number() && *enabled->as_number() == 1;
  if (auto* off = h.get(self_protection_key(), off_key_value); off && off->as_string()) {
    // The key was used (its nonce recorded) when it was stored: a key that
    // verifies but was never used was not stored by vigil-spconfig.
    if (auto claims = check_key(h, *off->as_string(), now)) {
      auto used = used_nonces(h);
      if (std::find(used.begin(), used.end(), claims->nonce) != used.end())
        state.off_until = claims->expires_at;
    }
  }
  return state;
}

bool self_protection_enabled(const hive& h, int64_t now) {
  return read_protection_state(h, now).on();
}

caf::expected<int64_t> use_spfkey(hive_store& hive, std::string_view key, int64_t now) {
  int64_t expires_at = 0;
  auto recorded = hive.update([&](vigil::hive& h) -> caf::expected<void> {
    auto claims = check_key(h, key, now);
    if (!claims)
      return claims.error();
    auto used = used_nonces(h);
    if (std::find(used.begin(), used.end(), claims->nonce) != used.end())
      return make_error(ec::replayed_metadata, "this SPFKEY was used before; ask for a new one");
    used.push_back(claims->nonce);
    h.set(self_protection_key(), reg_value::multi_sz("UsedKeys", used));
    expires_at = claims->expires_at;
    return {};
  });
  if (!recorded)
    return recorded.error();
  return expires_at;
}

caf::expected<void> pass_spfkey_gate(hive_store& hive, const std::optional<std::string>& key,
                                     int64_t now) {
  auto h = hive.load();
  if (!h)
    return h.error();
  if (!self_protection_enabled(*h, now))
    return {};
  if (!key)
    return make_error(ec::invalid_argument,
                      "self-protection is on: SPFKEY=<key> is required (vigil-platform spfkey "
                      "--host {HostID} issues one)");
  // The key also turns protection off (as vigil-spconfig's does): the agent
  // then accepts the stop from whichever vigil-uninstall the administrator
  // runs, not only the installed one.
  auto off = turn_protection_off_with_key(hive, *key, now);
  if (!off)
    return off.error();
  return {};
}

caf::expected<int64_t> turn_protection_off_with_key(hive_store& hive, std::string_view key,
                                                    int64_t now) {
  auto expires_at = use_spfkey(hive, key, now);
  if (!expires_at)
    return expires_at;
  auto stored = hive.update([&](vigil::hive& h) -> caf::expected<void> {
    h.set(self_protection_key(), reg_value::sz(off_key_value, std::string{key}));
    return {};
  });
  if (!stored)
    return stored.error();
  return expires_at;
}

caf::expected<void> set_protection_requested(hive_store& hive, bool on) {
  auto written = hive.update([&](vigil::hive& h) -> caf::expected<void> {
    h.set(self_protection_key(), reg_value::dword("Enabled", on ? 1 : 0));
    if (on)
      h.erase_value(self_protection_key(), off_key_value);
    return {};
  });
  if (!written)
    return written.error();
  return {};
}

namespace {

std::string protected_key_path(std::string_view relative) {
  return relative.empty() ? std::string{agent_key} : std::string{agent_key} + "\\" + std::string{relative};
}

bool only_gained(const reg_value& now, const reg_value& before) {
  auto* a = std::get_if<std::vector<std::string>>(&now.data);
  auto* b = std::get_if<std::vector<std::string>>(&before.data);
  if (a == nullptr || b == nullptr)
    return false;
  return std::all_of(b->begin(), b->end(), [&](const std::string& item) {
    return std::find(a->begin(), a->end(), item) != a->end();
  });
}

} // namespace

hive protected_values_of(const hive& h) {
  hive out;
  for (auto& [relative, name] : protected_values) {
    auto key = protected_key_path(relative);
    if (auto* v = h.get(key, name))
      out.set(key, *v);
  }
  return out;
}

std::vector<hive_tamper> compare_protected_values(const hive& now, const hive& baseline) {
  std::vector<hive_tamper> found;
  for (auto& [relative, name] : protected_values) {
    auto key = protected_key_path(relative);
    auto* is = now.get(key, name);
    auto* was = baseline.get(key, name);
    if (is == nullptr && was == nullptr)
      continue;
    if (is == nullptr)
      found.push_back({key, std::string{name}, "deleted"});
    else if (was == nullptr && name != "UsedKeys") // the first key used is not tampering
      found.push_back({key, std::string{name}, "added"});
    else if (was == nullptr)
      continue;
    else if (!(*is == *was) && !(name == "UsedKeys" && only_gained(*is, *was)))
      found.push_back({key, std::string{name}, "value changed"});
  }
  return found;
}

void restore_protected_values(hive& h, const hive& baseline) {
  for (auto& [relative, name] : protected_values) {
    auto key = protected_key_path(relative);
    if (auto* was = baseline.get(key, name)) {
      auto* is = h.get(key, name);
      if (name == "UsedKeys" && is != nullptr && only_gained(*is, *was))
        continue;
      h.set(key, *was);
    } else if (name != "UsedKeys") {
      h.erase_value(key, name);
    }
  }
}

std::filesystem::path self_protection_dropin(const paths& p) {
  return p.systemd_unit().parent_path() / "vigil-agent.service.d" / "self-protection.conf";
}

std::string self_protection_dropin_text() {
  // Written while self-protection is on (SPEC §13): systemd restarts the
  // agent whatever ends it, without a limit, and refuses `systemctl stop`;
  // stopping goes through vigil-spconfig or the platform, which turn
  // protection off first (the drop-in goes with it).
  return "# Written by vigil-agent while self-protection is on; removed when it is off.\n"
         "[Unit]\n"
         "RefuseManualStop=yes\n"
         "StartLimitIntervalSec=0\n"
         "\n"
         "[Service]\n"
         "Restart=always\n"
         "RestartSec=1\n";
}

} // namespace vigil
