#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "storage/kv_store.hpp"

namespace vigil {

/// A `kv_store` held in memory: the same promises as the RocksDB store except
/// durability (nothing survives the object). Unit tests of the other layers use
/// it in place of RocksDB.
class memory_store final : public kv_store {
public:
  /// An empty store serving exactly the columns named in `columns`.
  explicit memory_store(const std::vector<std::string>& columns);

private:
  using column = std::map<std::string, std::string, std::less<>>;

  caf::expected<std::optional<std::string>> do_get(std::string_view column_name,
                                                   std::string_view key) override;
  caf::expected<void> do_put(std::string_view column_name, std::string_view key,
                             std::string_view value, write_options options) override;
  caf::expected<void> do_erase(std::string_view column_name, std::string_view key,
                               write_options options) override;
  caf::expected<void> do_write(const write_batch& batch, write_options options) override;
  caf::expected<void> do_scan(std::string_view column_name, scan_range range,
                              std::string_view bound, const scan_callback& f) override;

  /// The column named `name`, or an invalid_argument error naming it. Needs `mutex_`.
  caf::expected<column*> find(std::string_view name);

  std::mutex mutex_;
  std::map<std::string, column, std::less<>> columns_;
};

} // namespace vigil
