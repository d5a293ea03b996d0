#pragma once
// Internal to storage/: includes RocksDB, so only the RocksDB backend's sources
// (and their tests) include it.

#include <filesystem>
#include <string_view>

#include <caf/error.hpp>
#include <rocksdb/status.h>

namespace vigil {

/// Converts a failed RocksDB `status` into a Vigil error whose context names the
/// `operation`, the store directory `dir` and RocksDB's own message:
/// NoSpace -> disk_full, Corruption -> corruption, other IOError -> io_error,
/// Busy/TryAgain/TimedOut -> busy, anything else -> storage_error.
caf::error from_rocksdb(const rocksdb::Status& status, std::string_view operation,
                        const std::filesystem::path& dir);

} // namespace vigil
