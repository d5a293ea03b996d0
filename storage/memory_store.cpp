#include "storage/memory_store.hpp"

#include <utility>

#include "common/error.hpp"

namespace vigil {

memory_store::memory_store(const std::vector<std::string>& columns) {
  for (const auto& name : columns)
    columns_[name];
}

caf::expected<memory_store::column*> memory_store::find(std::string_view name) {
  auto it = columns_.find(name);
  if (it == columns_.end())
    return make_error(ec::invalid_argument,
                      "unknown column '" + std::string{name} + "' in memory store");
  return &it->second;
}

caf::expected<std::optional<std::string>> memory_store::do_get(std::string_view column_name,
                                                               std::string_view key) {
  std::lock_guard guard{mutex_};
  auto col = find(column_name);
  if (!col)
    return std::move(col.error());
  auto it = (*col)->find(key);
  if (it == (*col)->end())
    return std::optional<std::string>{};
  return std::optional<std::string>{it->second};
}

caf::expected<void> memory_store::do_put(std::string_view column_name, std::string_view key,
                                         std::string_view value, write_options) {
  std::lock_guard guard{mutex_};
  auto col = find(column_name);
  if (!col)
    return std::move(col.error());
  (**col)[std::string{key}] = std::string{value};
  return caf::unit;
}

caf::expected<void> memory_store::do_erase(std::string_view column_name, std::string_view key,
                                           write_options) {
  std::lock_guard guard{mutex_};
  auto col = find(column_name);
  if (!col)
    return std::move(col.error());
  if (auto it = (*col)->find(key); it != (*col)->end())
    (*col)->erase(it);
  return caf::unit;
}

caf::expected<void> memory_store::do_write(const write_batch& batch, write_options) {
  std::lock_guard guard{mutex_};
  // Resolve every column before changing anything, so a bad batch applies nothing.
  std::vector<column*> targets;
  targets.reserve(batch.size());
  for (const auto& op : batch.operations()) {
    auto col = find(op.column);
    if (!col)
      return std::move(col.error());
    targets.push_back(*col);
  }
  for (size_t i = 0; i < targets.size(); ++i) {
    const auto& op = batch.operations()[i];
    if (op.what == write_batch::kind::put)
      (*targets[i])[op.key] = op.value;
    else
      targets[i]->erase(op.key);
  }
  return caf::unit;
}

caf::expected<void> memory_store::do_scan(std::string_view column_name, scan_range range,
                                          std::string_view bound, const scan_callback& f) {
  // Copy the range under the lock and call `f` without it: the scan sees a
  // snapshot, like a RocksDB iterator, and `f` may call the store.
  std::vector<std::pair<std::string, std::string>> entries;
  {
    std::lock_guard guard{mutex_};
    auto col = find(column_name);
    if (!col)
      return std::move(col.error());
    for (auto it = (*col)->lower_bound(bound); it != (*col)->end(); ++it) {
      if (range == scan_range::with_prefix && !it->first.starts_with(bound))
        break;
      entries.emplace_back(it->first, it->second);
    }
  }
  for (const auto& [key, value] : entries)
    if (!f(key, value))
      break;
  return caf::unit;
}

} // namespace vigil
