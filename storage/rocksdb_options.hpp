#pragma once
// Internal to storage/: includes RocksDB, so only the RocksDB backend includes it.

#include <rocksdb/options.h>

namespace vigil {

/// RocksDB options for the agent's store: created on demand, crash-safe recovery,
/// and memory bounded to a few MB so the agent fits its 20 MB idle RSS budget.
/// Every column family uses `options` as its column family options too.
rocksdb::Options small_footprint_options();

} // namespace vigil
