// The registry collector's source on Windows: the real registry (SPEC §18),
// read through host/registry_hive.hpp at the asked key under the context's
// stand-in for HKEY_LOCAL_MACHINE, and its tree moved back under the key's
// own path.
#include "common/error.hpp"
#include "host/registry_hive.hpp"
#include "scan/collectors/collectors.hpp"

namespace vigil::scan::detail {

namespace {

constexpr std::string_view machine = "HKEY_LOCAL_MACHINE";

} // namespace

caf::expected<hive> load_registry(const collect_context& ctx, const std::string& key) {
  // Only the machine's keys: the agent runs as a service, whose
  // HKEY_CURRENT_USER is no user's.
  if (key.size() < machine.size() || key.compare(0, machine.size(), machine) != 0
      || (key.size() > machine.size() && key[machine.size()] != '\\'))
    return make_error(ec::invalid_argument,
                      "key " + key + ": only HKEY_LOCAL_MACHINE keys are collected on Windows");
  auto rest = key.substr(std::min(key.size(), machine.size() + 1));
  auto mount = ctx.machine_registry;
  if (!mount.subkey.empty() && !rest.empty())
    mount.subkey += '\\';
  mount.subkey += rest;
  auto loaded = registry_hive{mount}.load();
  if (!loaded)
    return loaded.error();
  hive out;
  for (const auto* k : loaded->keys()) {
    // The hive also holds agent_key's parents, made when it was filled.
    std::string_view under{k->path};
    if (!under.starts_with(agent_key))
      continue;
    under.remove_prefix(agent_key.size());
    if (!under.empty() && under.front() != '\\')
      continue;
    auto path = key + std::string{under};
    auto& copy = out.ensure_key(path);
    copy.values = k->values;
  }
  return out;
}

} // namespace vigil::scan::detail
