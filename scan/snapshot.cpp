#include "scan/snapshot.hpp"

#include <algorithm>

namespace vigil::scan {

void finalize(snapshot& rows) {
  // stable_sort keeps rows with equal keys in append order; the last of each
  // run is the one that survives.
  std::stable_sort(rows.begin(), rows.end(),
                   [](const snapshot_row& a, const snapshot_row& b) { return a.key < b.key; });
  snapshot unique;
  unique.reserve(rows.size());
  for (auto& row : rows) {
    if (!unique.empty() && unique.back().key == row.key)
      unique.back() = std::move(row);
    else
      unique.push_back(std::move(row));
  }
  rows = std::move(unique);
}

std::string canonical_json(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

} // namespace vigil::scan
