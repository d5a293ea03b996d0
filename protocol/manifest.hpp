#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <caf/expected.hpp>
// A collector keeps its raw JSON (its semantics belong to scan/), so this header
// needs the complete JSON type.
#include <nlohmann/json.hpp>

#include "protocol/body.hpp"

namespace vigil::protocol {

/// One collector of a manifest: its `type` ("os", "packages", "file", ...) and
/// the whole JSON object that describes it (including "type"), kept raw because
/// what a collector's fields mean is up to the scan engine, not the protocol.
struct collector {
  std::string type;   ///< non-empty; the spec's "type" member
  nlohmann::json spec = nlohmann::json::object(); ///< the collector's object, as received

  friend bool operator==(const collector&, const collector&) = default;
};

/// `GET v1/manifests/{module}`: what a module collects (SPEC §7). The agent
/// caches it by `version` and sends a full snapshot when the version changes.
struct manifest {
  std::string module;               ///< a `module_names` entry
  int64_t version = 0;              ///< at least 0; grows with every change
  std::vector<collector> collectors; ///< in the order they run

  friend bool operator==(const manifest&, const manifest&) = default;
};

/// `msg` as a JSON object: `spec` with its "type" member set to `type` (an
/// `spec` that is not an object becomes `{"type": type}`).
nlohmann::json to_json(const collector& msg);
/// `msg` as a JSON object; collectors as an array of objects.
nlohmann::json to_json(const manifest& msg);

/// A `manifest` read from `json`: `module` a module name, `version` an integer
/// >= 0, `collectors` an array of objects each with a non-empty string `type`.
/// Nothing else in a collector is checked.
caf::expected<manifest> parse_manifest(const nlohmann::json& json);

/// Lets `parse_body` / `to_body` handle `manifest`.
template <>
struct message_traits<manifest> {
  static constexpr std::string_view name = "manifest"; ///< name in errors
  /// See `parse_manifest`.
  static caf::expected<manifest> parse(const nlohmann::json& json) {
    return parse_manifest(json);
  }
  /// The JSON body of `msg`.
  static std::string body(const manifest& msg);
};

} // namespace vigil::protocol
