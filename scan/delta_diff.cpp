#include "scan/delta_diff.hpp"

#include <algorithm>
#include <unordered_set>

namespace vigil::scan {

snapshot_differ::snapshot_differ(const snapshot& current) : current_(current) {
}

void snapshot_differ::baseline_row(std::string_view key, std::string_view value) {
  // Snapshot rows before `key` are new.
  while (next_ < current_.size() && std::string_view{current_[next_].key} < key) {
    changes_.upserts.push_back({current_[next_].key, current_[next_].value});
    ++changes_.added;
    ++next_;
  }
  if (next_ < current_.size() && std::string_view{current_[next_].key} == key) {
    if (std::string_view{current_[next_].value} != value) {
      changes_.upserts.push_back({current_[next_].key, current_[next_].value});
      ++changes_.changed;
    }
    ++next_;
    return;
  }
  changes_.removals.emplace_back(key);
}

row_changes snapshot_differ::finish() {
  for (; next_ < current_.size(); ++next_) {
    changes_.upserts.push_back({current_[next_].key, current_[next_].value});
    ++changes_.added;
  }
  return std::move(changes_);
}

row_changes diff_snapshots(const snapshot& baseline, const snapshot& current) {
  snapshot_differ differ{current};
  for (auto& row : baseline)
    differ.baseline_row(row.key, row.value);
  return differ.finish();
}

snapshot apply_changes(snapshot rows, const std::vector<protocol::delta_row>& upserts,
                       const std::vector<std::string>& removals) {
  std::unordered_set<std::string_view> removed{removals.begin(), removals.end()};
  std::erase_if(rows, [&](const snapshot_row& row) { return removed.count(row.key) > 0; });
  for (auto& row : upserts)
    rows.push_back({row.key, row.value});
  finalize(rows); // the last of equal keys (the upsert) wins
  return rows;
}

} // namespace vigil::scan
