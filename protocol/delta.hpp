#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <caf/expected.hpp>
#include <nlohmann/json_fwd.hpp>

namespace vigil::protocol {

/// One row a delta sets: the item's key (`packages/openssl`, non-empty) and the
/// canonical serialization of its value. Both travel as JSON strings, so they
/// must be UTF-8 (invalid bytes are replaced by U+FFFD on the wire).
struct delta_row {
  std::string key;   ///< non-empty
  std::string value; ///< may be empty

  friend bool operator==(const delta_row&, const delta_row&) = default;
};

/// The document a delta upload carries (SPEC §9): what changed in one module's
/// rows since the baseline the platform acknowledged.
struct delta {
  std::string module;              ///< a `module_names` entry
  uint64_t seq = 0;                ///< the module's delta sequence number, from 1
  bool full = false;               ///< a full snapshot: replaces every row the platform holds
  std::vector<delta_row> upserts;  ///< rows added or changed (all rows when `full`)
  std::vector<std::string> removals; ///< keys removed (non-empty; none when `full`)

  friend bool operator==(const delta&, const delta&) = default;
};

/// `msg` as a JSON object with the fields above; rows as `{"key", "value"}`
/// objects.
nlohmann::json to_json(const delta& msg);

/// A `delta` read from `json`: every field required, `module` a module name,
/// `seq` at least 1, keys non-empty, and no removals in a full snapshot. Errors
/// name the path as `delta.upserts[3].key`. `decode_delta` applies the same
/// rules to the wire form without building a JSON tree.
caf::expected<delta> parse_delta(const nlohmann::json& json);

} // namespace vigil::protocol
