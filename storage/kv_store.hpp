#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <caf/expected.hpp>

#include "storage/write_batch.hpp"

namespace vigil {

/// The column families of the agent's store, one per domain (DESIGN.md, Storage).
inline const std::vector<std::string>& agent_columns() {
  static const std::vector<std::string> columns{"baseline", "pending", "cursor",
                                                "config",   "manifest", "meta"};
  return columns;
}

/// How durable a write must be before it returns.
struct write_options {
  /// When true, the write is on stable storage (the write-ahead log fsync'd)
  /// before the call returns, so it survives a power loss. When false it survives
  /// a crash of the process but may be lost with the machine.
  bool sync = false;
};

/// Receives one entry of a scan; returns whether the scan should go on. The views
/// are valid only during the call.
using scan_callback = std::function<bool(std::string_view key, std::string_view value)>;

/// Durable key-value state in named columns (separate key spaces, each ordered by
/// bytewise key comparison). The column names are fixed when the store is opened;
/// naming any other column fails with `ec::invalid_argument` and changes nothing.
/// Every operation reports failure as a Vigil error (`common/error.hpp`), never by
/// exception. A store may be used from several threads at once.
class kv_store {
public:
  virtual ~kv_store();

  kv_store(const kv_store&) = delete;
  kv_store& operator=(const kv_store&) = delete;

  /// The value of `key` in `column`, or an empty optional when it is absent.
  caf::expected<std::optional<std::string>> get(std::string_view column, std::string_view key) {
    return do_get(column, key);
  }

  /// Sets `key` in `column` to `value`, replacing any previous value.
  caf::expected<void> put(std::string_view column, std::string_view key, std::string_view value,
                          write_options options = {}) {
    return do_put(column, key, value, options);
  }

  /// Removes `key` from `column`; removing an absent key succeeds.
  caf::expected<void> erase(std::string_view column, std::string_view key,
                            write_options options = {}) {
    return do_erase(column, key, options);
  }

  /// Applies every operation of `batch`, in order, atomically: after a failure or
  /// a crash at any moment, either all of them are visible or none is. A batch
  /// naming an unknown column fails before anything is applied.
  caf::expected<void> write(const write_batch& batch, write_options options = {}) {
    return do_write(batch, options);
  }

  /// Calls `f` for every entry of `column` whose key starts with `prefix` (all of
  /// them for an empty prefix), in ascending key order, until `f` returns false.
  /// The scan sees the store as it was when the scan began; `f` may call the
  /// store, and its writes are not seen by this scan.
  caf::expected<void> scan(std::string_view column, std::string_view prefix,
                           const scan_callback& f) {
    return do_scan(column, scan_range::with_prefix, prefix, f);
  }

  /// Like `scan`, but visits every entry whose key is at or after `start_key`, in
  /// ascending key order, until `f` returns false or the column ends.
  caf::expected<void> scan_from(std::string_view column, std::string_view start_key,
                                const scan_callback& f) {
    return do_scan(column, scan_range::from_key, start_key, f);
  }

  /// Moves what the store keeps only in memory (RocksDB's memtables) to its
  /// files, so that memory can go back to the OS while the agent is idle.
  /// Changes no content and no durability; takes a few file writes. Call when a
  /// burst of writes is over, never on a hot path.
  caf::expected<void> release_memory() {
    return do_release_memory();
  }

protected:
  kv_store() = default;

  /// Which keys a scan visits, relative to its bound.
  enum class scan_range {
    with_prefix, ///< the keys that start with the bound
    from_key,    ///< the keys at or after the bound
  };

private:
  virtual caf::expected<std::optional<std::string>> do_get(std::string_view column,
                                                           std::string_view key) = 0;
  virtual caf::expected<void> do_put(std::string_view column, std::string_view key,
                                     std::string_view value, write_options options) = 0;
  virtual caf::expected<void> do_erase(std::string_view column, std::string_view key,
                                       write_options options) = 0;
  virtual caf::expected<void> do_write(const write_batch& batch, write_options options) = 0;
  virtual caf::expected<void> do_scan(std::string_view column, scan_range range,
                                      std::string_view bound, const scan_callback& f) = 0;
  /// Nothing to release by default: the content is the memory.
  virtual caf::expected<void> do_release_memory() {
    return {};
  }
};

} // namespace vigil
