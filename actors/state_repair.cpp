#include "actors/state_repair.hpp"

#include <functional>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "actors/checkin.hpp"
#include "actors/delta.hpp"
#include "actors/identity_logic.hpp"
#include "common/release_metadata.hpp"
#include "common/text.hpp"
#include "host/command_line.hpp"
#include "host/reg_format.hpp"
#include "protocol/body.hpp"
#include "protocol/delta_codec.hpp"
#include "protocol/guid.hpp"
#include "protocol/manifest.hpp"
#include "protocol/profile.hpp"
#include "protocol/upload.hpp"

namespace vigil {

namespace {

const std::string meta = "meta";

/// Text an agent writes: no control characters (a garbled value has them).
bool is_clean_text(std::string_view text) noexcept {
  for (unsigned char c : text)
    if (c < 0x20 || c == 0x7f)
      return false;
  return true;
}

bool is_number(std::string_view text) {
  return parse_int64(text).has_value();
}

bool is_json_object(std::string_view text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  return j.is_object();
}

/// A sealed token ("v1:" + base64) or one an older version stored in clear:
/// printable, no blanks.
bool is_token(std::string_view text) {
  if (text.empty())
    return false;
  for (unsigned char c : text)
    if (c <= 0x20 || c >= 0x7f)
      return false;
  return true;
}

bool is_hex_sha256(std::string_view text) {
  return text.size() == 64 && text.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

/// One rule for meta keys: the keys it covers, whether a value is sound, and
/// what erasing a corrupt one means (said in the repair line).
struct meta_rule {
  std::function<bool(std::string_view key)> covers;
  std::function<bool(std::string_view value)> sound;
  std::string consequence;
};

std::function<bool(std::string_view)> exactly(std::string key) {
  return [key = std::move(key)](std::string_view k) { return k == key; };
}

std::function<bool(std::string_view)> prefix_and_suffix(std::string prefix, std::string suffix = {}) {
  return [=](std::string_view k) {
    return k.size() > prefix.size() + suffix.size() && k.starts_with(prefix) && k.ends_with(suffix);
  };
}

const std::vector<meta_rule>& meta_rules() {
  static const std::vector<meta_rule> rules{
    {exactly(checkin_keys::last_checkin), is_number, "written again at the next check-in"},
    {exactly(checkin_keys::last_error), is_clean_text, "forgotten"},
    {prefix_and_suffix("scan.", ".last_end"), is_number, "the module scans at once"},
    {prefix_and_suffix("scan.", ".started"), is_clean_text, "forgotten"},
    {exactly("selfpatch.highest_serial"), is_number,
     "release metadata is checked against its signature and expiry alone until the next upgrade"},
    {exactly("selfpatch.highest_version"),
     [](std::string_view v) { return static_cast<bool>(version::parse(v)); }, "forgotten"},
    {prefix_and_suffix("selfpatch.rolled_back."), is_number,
     "the release may be offered again; the watcher rolls it back again if it fails"},
    {prefix_and_suffix("order."), is_json_object,
     "the order is carried out again if the platform still holds it"},
    {exactly("protect.baseline"),
     [](std::string_view v) { return static_cast<bool>(parse_hive(v, "baseline")); },
     "self-protection takes its baseline from the hive again"},
    {exactly("protect.tamper_reported"), is_number, "tamper events are reported again"},
    {exactly(identity_keys::fingerprint), is_hex_sha256,
     "taken again from this machine (the HostID is kept)"},
    {exactly(identity_keys::token), is_token, "the agent provisions again under the same HostID"},
    {exactly(identity_keys::token_host),
     [](std::string_view v) { return protocol::is_guid(v); },
     "the agent provisions again under the same HostID"},
  };
  return rules;
}

/// The module a delta-state key belongs to ("Vulnerability/next_seq").
std::string module_of(std::string_view key) {
  auto slash = key.find('/');
  return std::string{key.substr(0, slash == std::string_view::npos ? key.size() : slash)};
}

/// Whether one delta-state entry of `column` is sound.
bool sound_delta_entry(const std::string& column, std::string_view key, std::string_view value) {
  auto slash = key.find('/');
  if (slash == std::string_view::npos || slash == 0)
    return false;
  auto name = key.substr(slash + 1);
  if (column == "cursor")
    return is_number(value);
  if (column == "pending") {
    if (name.empty() || name.find_first_not_of("0123456789") != std::string_view::npos)
      return false;
    if (value.empty() || (value.front() != 'F' && value.front() != 'D'))
      return false;
    return static_cast<bool>(
      protocol::decode_delta(value.substr(1), protocol::max_delta_decompressed_bytes));
  }
  // baseline: the collectors' rows are canonical JSON.
  return nlohmann::json::accept(value);
}

/// Writes `batch` (synced), unless it is empty.
caf::expected<void> write_any(kv_store& store, const write_batch& batch) {
  if (batch.empty())
    return {};
  return store.write(batch, {true});
}

caf::expected<void> check_delta_state(kv_store& store, std::vector<std::string>& repairs) {
  // module -> why its state is corrupt (the first problem found).
  std::map<std::string, std::string> corrupt;
  std::set<std::string> modules;
  for (std::string column : {"cursor", "pending", "baseline"}) {
    auto scanned = store.scan(column, "", [&](std::string_view key, std::string_view value) {
      auto module = module_of(key);
      modules.insert(module);
      if (!corrupt.contains(module) && !sound_delta_entry(column, key, value))
        corrupt[module] = column + " entry '" + printable(key) + "'";
      return true;
    });
    if (!scanned)
      return scanned.error();
  }
  for (auto& [module, why] : corrupt) {
    write_batch batch;
    for (std::string column : {"cursor", "pending", "baseline"}) {
      auto scanned = store.scan(column, module + "/", [&](std::string_view key, std::string_view) {
        batch.erase(column, std::string{key});
        return true;
      });
      if (!scanned)
        return scanned.error();
    }
    batch.erase(meta, scan_keys::last_end(module));
    if (auto ok = store.write(batch, {true}); !ok)
      return ok.error();
    repairs.push_back("the delta state of " + printable(module) + " was corrupt (" + why
                      + "): cleared; the module scans at once and uploads a full snapshot");
  }
  return {};
}

caf::expected<void> check_meta(kv_store& store, std::vector<std::string>& repairs) {
  write_batch batch;
  auto scanned = store.scan(meta, "", [&](std::string_view key, std::string_view value) {
    for (auto& rule : meta_rules()) {
      if (!rule.covers(key))
        continue;
      if (!rule.sound(value)) {
        batch.erase(meta, std::string{key});
        repairs.push_back("the stored value '" + printable(key) + "' was corrupt: erased; "
                          + rule.consequence);
      }
      break;
    }
    return true;
  });
  if (!scanned)
    return scanned.error();
  return write_any(store, batch);
}

caf::expected<void> check_config(kv_store& store, std::vector<std::string>& repairs) {
  auto stored = store.get("config", checkin_keys::profile);
  if (!stored)
    return stored.error();
  if (!*stored)
    return {};
  std::vector<caf::error> dropped;
  if (protocol::parse_profile_body(**stored, dropped))
    return {};
  repairs.push_back("the stored profile was corrupt: erased; fetched again at the next check-in");
  return store.erase("config", checkin_keys::profile, {true});
}

caf::expected<void> check_manifests(kv_store& store, std::vector<std::string>& repairs) {
  write_batch batch;
  auto scanned = store.scan("manifest", "", [&](std::string_view key, std::string_view value) {
    if (!protocol::parse_body<protocol::manifest>(std::string{value})) {
      batch.erase("manifest", std::string{key});
      repairs.push_back("the cached manifest of " + printable(key)
                        + " was corrupt: erased; fetched again at the next check-in");
    }
    return true;
  });
  if (!scanned)
    return scanned.error();
  return write_any(store, batch);
}

} // namespace

caf::expected<std::vector<std::string>> repair_stored_state(kv_store& store) {
  std::vector<std::string> repairs;
  for (auto* check : {check_config, check_manifests, check_delta_state, check_meta})
    if (auto ok = check(store, repairs); !ok)
      return ok.error();
  return repairs;
}

} // namespace vigil
