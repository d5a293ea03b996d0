// Administration of the manifests (SPEC §7): `vigil-platform manifest set`
// replaces one module's manifest for one OS family.

#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "platform/os_family.hpp"
#include "platform/platform_store.hpp"
#include "platform/service.hpp"
#include "platform/service_util.hpp"
#include "protocol/manifest.hpp"

using nlohmann::json;

namespace vigil::platform {

caf::expected<json> platform_service::set_manifest(const std::string& module,
                                                   const std::string& os_family,
                                                   const json& manifest) {
  if (!detail::known_module(module))
    return make_error(ec::invalid_argument, "unknown module '" + module + "'");
  if (!is_os_family(os_family))
    return make_error(ec::invalid_argument,
                      "unknown OS family '" + os_family + "' (linux or windows)");
  if (!manifest.is_object())
    return make_error(ec::invalid_argument, "a manifest is a JSON object");
  if (auto named = manifest.find("module"); named != manifest.end() && *named != module)
    return make_error(ec::invalid_argument,
                      "the manifest names module " + named->dump() + ", not " + module);
  auto guard = lock_everything();
  if (!guard)
    return guard.error();
  auto key = manifest_key(module, os_family);
  caf::error error;
  auto stored = detail::load_json(store_, column::manifests, key, error);
  if (error)
    return error;
  auto next = manifest;
  next["module"] = module;
  // Versions only grow: agents cache by version and refetch on a new one.
  next["version"] = (stored ? stored->value("version", int64_t{0}) : int64_t{0}) + 1;
  if (!next.contains("collectors"))
    next["collectors"] = json::array();
  // What agents will parse must parse: refuse a manifest the protocol rejects.
  auto parsed = protocol::parse_manifest(next);
  if (!parsed)
    return make_error(ec::invalid_argument, render(parsed.error()));
  auto body = protocol::to_json(*parsed);
  if (auto ok = store_.put(column::manifests, key, body.dump(), {true}); !ok)
    return ok.error();
  return body;
}

} // namespace vigil::platform
