#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace vigil {

/// An ordered list of puts and erases over named columns, applied all-or-nothing
/// by `kv_store::write`. A plain value: pure code (the delta diff, the uploader's
/// bookkeeping) builds batches without a store or RocksDB, and tests compare them.
class write_batch {
public:
  /// What one operation does.
  enum class kind : uint8_t { put, erase };

  /// One operation. `value` is empty for an erase.
  struct operation {
    kind what = kind::put;
    std::string column;
    std::string key;
    std::string value;

    friend bool operator==(const operation&, const operation&) = default;
  };

  /// Appends "set `key` in `column` to `value`".
  void put(std::string column, std::string key, std::string value) {
    ops_.push_back({kind::put, std::move(column), std::move(key), std::move(value)});
  }

  /// Appends "remove `key` from `column`"; erasing an absent key is not an error.
  void erase(std::string column, std::string key) {
    ops_.push_back({kind::erase, std::move(column), std::move(key), {}});
  }

  /// The operations in the order they were added, which is the order they
  /// apply in: a later operation on the same key wins.
  const std::vector<operation>& operations() const noexcept { return ops_; }

  /// Whether the batch holds no operation.
  bool empty() const noexcept { return ops_.empty(); }

  /// How many operations the batch holds.
  size_t size() const noexcept { return ops_.size(); }

  /// Removes every operation.
  void clear() noexcept { ops_.clear(); }

  friend bool operator==(const write_batch&, const write_batch&) = default;

private:
  std::vector<operation> ops_;
};

} // namespace vigil
