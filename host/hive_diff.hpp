#pragma once

#include <string>
#include <vector>

#include "host/hive.hpp"

namespace vigil {

/// One difference between two states of the hive.
struct hive_change {
  enum class kind { key_added, key_removed, value_set, value_removed };
  kind what = kind::value_set;
  std::string key;        ///< the key's path
  std::string value_name; ///< the value's name (empty for key changes and `@`)

  friend bool operator==(const hive_change&, const hive_change&) = default;
};

/// What changed from `before` to `after`: keys added and removed, values added
/// or changed (`value_set`) and removed, in tree order.
std::vector<hive_change> diff(const hive& before, const hive& after);

/// Whether `change` concerns `key` or a subkey of it, e.g. whether a change is
/// under `...\ScanOnDemand`.
bool is_under(const hive_change& change, std::string_view key);

} // namespace vigil
