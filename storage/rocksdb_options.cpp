#include "storage/rocksdb_options.hpp"

#include <filesystem>
#include <system_error>

#include <rocksdb/cache.h>
#include <rocksdb/env.h>
#include <rocksdb/file_system.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>
#include <rocksdb/write_buffer_manager.h>

namespace vigil {

namespace {

constexpr size_t mib = 1024 * 1024;

// The agent's whole idle RSS budget is 20 MB (DESIGN.md), and RocksDB's defaults
// (64 MB memtables per column family, 8 MB block cache per table factory, up to
// thousands of open table readers, 600 s stats threads) would blow it on their own.
// RocksDB's memory is the memtables, the block cache and the open table readers;
// each is bounded below, and the first two are bounded by ONE number:
//
// - block_cache_size: one LRU cache shared by every column family holds data,
//   index and filter blocks (cache_index_and_filter_blocks) and is also charged for
//   the memtables (the write buffer manager below), so RocksDB's managed memory
//   stays near this size however many families are open. The agent's reads are
//   mostly sequential scans of recent data, which the OS page cache serves well;
//   the block cache only has to keep hot index/filter blocks and recent blocks.
constexpr size_t block_cache_size = 4 * mib;
// - all_memtables_size: the total of all families' memtables (the agent has six
//   families, the platform more); when reached, the largest memtable is flushed.
//   Charged to the block cache, so it is part of block_cache_size, not added to it.
constexpr size_t all_memtables_size = 4 * mib;
// - memtable_size: one family's memtable; two may exist per family (one being
//   filled while the other is flushed). Small memtables mean more, smaller L0 files
//   during a first full baseline write, which compaction merges in the background.
constexpr size_t memtable_size = 1 * mib;
// - max_open_files: each open SST keeps a table reader (a few KB once its index
//   and filter live in the block cache); 64 bounds that, and a store of a few
//   hundred MB has fewer SSTs anyway.
constexpr int max_open_files = 64;

/// RocksDB's POSIX file system creates files 0644 and directories 0755 (less
/// the umask); a store holds the agent's token and every row it collected (the
/// platform's: every host's), so each file and directory it makes is private
/// (issue 15, defect 5): owner-only as soon as it exists, before any content
/// is flushed to it (the store's own directory is 0700 as well). Through
/// std::filesystem, which is chmod on POSIX. On Windows that only sets or
/// clears the read-only attribute (these modes leave it clear): there the
/// store is private only if its folder's ACL makes it so (issue 20: not yet;
/// %ProgramData%'s inherited ACL lets Users read).
class private_file_system final : public rocksdb::FileSystemWrapper {
public:
  using IOStatus = rocksdb::IOStatus;
  using FileOptions = rocksdb::FileOptions;
  using IODebugContext = rocksdb::IODebugContext;

  explicit private_file_system(const std::shared_ptr<rocksdb::FileSystem>& target)
    : FileSystemWrapper{target} {}

  static const char* kClassName() { return "VigilPrivateFileSystem"; }
  const char* Name() const override { return kClassName(); }

  IOStatus NewWritableFile(const std::string& f, const FileOptions& o,
                           std::unique_ptr<rocksdb::FSWritableFile>* r,
                           IODebugContext* dbg) override {
    return tighten(f, file_mode, target()->NewWritableFile(f, o, r, dbg));
  }
  IOStatus ReopenWritableFile(const std::string& f, const FileOptions& o,
                              std::unique_ptr<rocksdb::FSWritableFile>* r,
                              IODebugContext* dbg) override {
    return tighten(f, file_mode, target()->ReopenWritableFile(f, o, r, dbg));
  }
  IOStatus ReuseWritableFile(const std::string& f, const std::string& old, const FileOptions& o,
                             std::unique_ptr<rocksdb::FSWritableFile>* r,
                             IODebugContext* dbg) override {
    return tighten(f, file_mode, target()->ReuseWritableFile(f, old, o, r, dbg));
  }
  IOStatus NewRandomRWFile(const std::string& f, const FileOptions& o,
                           std::unique_ptr<rocksdb::FSRandomRWFile>* r,
                           IODebugContext* dbg) override {
    return tighten(f, file_mode, target()->NewRandomRWFile(f, o, r, dbg));
  }
  IOStatus NewLogger(const std::string& f, const rocksdb::IOOptions& o,
                     std::shared_ptr<rocksdb::Logger>* r, IODebugContext* dbg) override {
    return tighten(f, file_mode, target()->NewLogger(f, o, r, dbg));
  }
  IOStatus LockFile(const std::string& f, const rocksdb::IOOptions& o, rocksdb::FileLock** l,
                    IODebugContext* dbg) override {
    return tighten(f, file_mode, target()->LockFile(f, o, l, dbg));
  }
  IOStatus CreateDir(const std::string& d, const rocksdb::IOOptions& o,
                     IODebugContext* dbg) override {
    return tighten(d, dir_mode, target()->CreateDir(d, o, dbg));
  }
  IOStatus CreateDirIfMissing(const std::string& d, const rocksdb::IOOptions& o,
                              IODebugContext* dbg) override {
    return tighten(d, dir_mode, target()->CreateDirIfMissing(d, o, dbg));
  }

private:
  static constexpr auto file_mode = std::filesystem::perms::owner_read
                                    | std::filesystem::perms::owner_write; // 0600
  static constexpr auto dir_mode = std::filesystem::perms::owner_all;    // 0700

  static IOStatus tighten(const std::string& name, std::filesystem::perms mode, IOStatus status) {
    std::error_code ignored;
    if (status.ok())
      std::filesystem::permissions(name, mode, std::filesystem::perm_options::replace, ignored);
    return status;
  }
};

/// The Env every store uses: RocksDB's default threads, the private files.
rocksdb::Env* private_env() {
  // Never destroyed: a store closed during static destruction still has it.
  static auto* env = rocksdb::NewCompositeEnv(
                       std::make_shared<private_file_system>(rocksdb::FileSystem::Default()))
                       .release();
  return env;
}

} // namespace

rocksdb::Options small_footprint_options() {
  rocksdb::Options options;
  options.create_if_missing = true;
  options.create_missing_column_families = true;
  options.env = private_env();
  // After a crash, recover every write up to the first incomplete WAL record:
  // a WriteBatch is one record, so it is recovered wholly or not at all.
  options.wal_recovery_mode = rocksdb::WALRecoveryMode::kPointInTimeRecovery;

  auto cache = rocksdb::NewLRUCache(block_cache_size);
  options.write_buffer_manager
    = std::make_shared<rocksdb::WriteBufferManager>(all_memtables_size, cache);
  options.write_buffer_size = memtable_size;
  options.max_write_buffer_number = 2;

  rocksdb::BlockBasedTableOptions table;
  table.block_cache = cache;
  table.cache_index_and_filter_blocks = true;
  table.pin_l0_filter_and_index_blocks_in_cache = true;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));

  // The WAL's and each table file's write buffer grows up to this (RocksDB's
  // default is 1 MB, and a full snapshot's batch takes the WAL's there and keeps
  // it there); larger writes go to the file in pieces of this size.
  options.writable_file_max_buffer_size = 64 * 1024;

  options.max_open_files = max_open_files;
  options.max_file_opening_threads = 1;
  // One flush and one compaction thread: the machines have two cores, and the
  // agent's CPU budget is small; its write rate is low outside a first baseline.
  options.max_background_jobs = 2;
  // A family that is rarely written (config) would otherwise pin old WAL files
  // forever; past this size RocksDB flushes it so the WAL can be deleted.
  options.max_total_wal_size = 16 * mib;
  // No periodic stats threads: they wake the idle agent (idle CPU budget) and the
  // in-memory stats history costs up to 1 MB.
  options.stats_dump_period_sec = 0;
  options.stats_persist_period_sec = 0;
  // RocksDB's own info LOG in the store directory stays small on disk.
  options.max_log_file_size = 1 * mib;
  options.keep_log_file_num = 3;
  return options;
}

} // namespace vigil
