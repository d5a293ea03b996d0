#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "storage/kv_store.hpp"

namespace vigil {

/// The durable `kv_store`: a RocksDB database in one directory, one column family
/// per column. Batches are atomic across columns and survive a crash of the
/// process at any moment; synced writes also survive a power loss. Its memory use
/// is bounded to a few MB (see rocksdb_options.cpp).
class rocksdb_store final : public kv_store {
public:
  /// Opens (creating it and any missing column family when needed) the database in
  /// `dir` and serves the columns named in `columns`. Column families already in
  /// the directory but not named (another program's, a newer version's) are opened
  /// too, left untouched, and not served. Fails with the converted RocksDB error,
  /// e.g. `ec::io_error` when another process has the database open.
  static caf::expected<std::unique_ptr<kv_store>> open(std::filesystem::path dir,
                                                       std::vector<std::string> columns);

  /// Closes the database; synced writes are durable and unsynced ones are with the OS.
  ~rocksdb_store() override;

private:
  /// Everything that names a RocksDB type lives in the .cpp.
  struct state;

  explicit rocksdb_store(std::unique_ptr<state> st);

  caf::expected<std::optional<std::string>> do_get(std::string_view column,
                                                   std::string_view key) override;
  caf::expected<void> do_put(std::string_view column, std::string_view key,
                             std::string_view value, write_options options) override;
  caf::expected<void> do_erase(std::string_view column, std::string_view key,
                               write_options options) override;
  caf::expected<void> do_write(const write_batch& batch, write_options options) override;
  caf::expected<void> do_scan(std::string_view column, scan_range range,
                              std::string_view bound, const scan_callback& f) override;
  caf::expected<void> do_release_memory() override;

  std::unique_ptr<state> state_;
};

} // namespace vigil
