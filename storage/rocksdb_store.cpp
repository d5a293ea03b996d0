#include "storage/rocksdb_store.hpp"

#include <algorithm>
#include <map>
#include <system_error>
#include <utility>

#include <rocksdb/db.h>
#include <rocksdb/iterator.h>
#include <rocksdb/write_batch.h>

#include "common/error.hpp"
#include "storage/rocksdb_options.hpp"
#include "storage/rocksdb_status.hpp"

namespace fs = std::filesystem;

namespace vigil {

namespace {

rocksdb::Slice slice(std::string_view x) {
  return {x.data(), x.size()};
}

std::string_view view(const rocksdb::Slice& x) {
  return {x.data(), x.size()};
}

rocksdb::WriteOptions to_rocksdb(write_options options) {
  rocksdb::WriteOptions result;
  result.sync = options.sync;
  return result;
}

std::string quoted(std::string_view column) {
  return "'" + std::string{column} + "'";
}

} // namespace

struct rocksdb_store::state {
  fs::path dir;
  std::unique_ptr<rocksdb::DB> db;
  /// Every family RocksDB opened; all must be released before the DB closes.
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  /// The families served, by column name.
  std::map<std::string, rocksdb::ColumnFamilyHandle*, std::less<>> served;

  ~state() {
    for (auto* handle : handles)
      db->DestroyColumnFamilyHandle(handle);
    handles.clear();
    db.reset();
  }

  caf::expected<rocksdb::ColumnFamilyHandle*> find(std::string_view column) const {
    auto it = served.find(column);
    if (it == served.end())
      return make_error(ec::invalid_argument,
                        "unknown column " + quoted(column) + " in store " + dir.string());
    return it->second;
  }

  /// Runs the write `attempt`. A disk that filled up leaves RocksDB refusing
  /// every write (a background error) even after space returns; so when a
  /// write fails with an I/O error, the database is asked to resume and, if
  /// it can (the space is back), the write is tried once more. Without this
  /// a full disk would need an agent restart to recover.
  template <class Attempt>
  rocksdb::Status with_recovery(Attempt attempt) {
    auto status = attempt();
    if (status.ok() || !(status.IsIOError() || status.IsNoSpace()))
      return status;
    if (!db->Resume().ok())
      return status;
    return attempt();
  }

  caf::error fail(const rocksdb::Status& status, std::string_view operation,
                  std::string_view column) const {
    return from_rocksdb(status, std::string{operation} + " in column " + quoted(column), dir);
  }
};

caf::expected<std::unique_ptr<kv_store>> rocksdb_store::open(fs::path dir,
                                                             std::vector<std::string> columns) {
  std::error_code err;
  fs::create_directories(dir, err);
  if (err)
    return make_system_error(err.value(), "create store directory " + dir.string());
  // Owner-only, like every file RocksDB creates in it (small_footprint_options).
  fs::permissions(dir, fs::perms::owner_all, err);
  auto options = small_footprint_options();
  // RocksDB refuses to open a database without naming all its families, so the
  // ones already there are listed and opened along with the requested ones.
  std::vector<std::string> names{rocksdb::kDefaultColumnFamilyName};
  if (fs::exists(dir / "CURRENT", err)) {
    names.clear();
    auto status = rocksdb::DB::ListColumnFamilies(options, dir.string(), &names);
    if (!status.ok())
      return from_rocksdb(status, "list column families", dir);
  }
  for (const auto& column : columns)
    if (std::find(names.begin(), names.end(), column) == names.end())
      names.push_back(column);
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const auto& name : names)
    descriptors.emplace_back(name, rocksdb::ColumnFamilyOptions{options});
  auto st = std::make_unique<state>();
  st->dir = dir;
  rocksdb::DB* db = nullptr;
  auto status = rocksdb::DB::Open(options, dir.string(), descriptors, &st->handles, &db);
  if (!status.ok())
    return from_rocksdb(status, "open", dir);
  st->db.reset(db);
  for (auto* handle : st->handles)
    if (std::find(columns.begin(), columns.end(), handle->GetName()) != columns.end())
      st->served.emplace(handle->GetName(), handle);
  return std::unique_ptr<kv_store>{new rocksdb_store{std::move(st)}};
}

rocksdb_store::rocksdb_store(std::unique_ptr<state> st) : state_{std::move(st)} {
}

rocksdb_store::~rocksdb_store() = default;

caf::expected<std::optional<std::string>> rocksdb_store::do_get(std::string_view column,
                                                                std::string_view key) {
  auto cf = state_->find(column);
  if (!cf)
    return std::move(cf.error());
  std::string value;
  auto status = state_->db->Get(rocksdb::ReadOptions{}, *cf, slice(key), &value);
  if (status.IsNotFound())
    return std::optional<std::string>{};
  if (!status.ok())
    return state_->fail(status, "get", column);
  return std::optional<std::string>{std::move(value)};
}

caf::expected<void> rocksdb_store::do_put(std::string_view column, std::string_view key,
                                          std::string_view value, write_options options) {
  auto cf = state_->find(column);
  if (!cf)
    return std::move(cf.error());
  auto status = state_->with_recovery(
    [&] { return state_->db->Put(to_rocksdb(options), *cf, slice(key), slice(value)); });
  if (!status.ok())
    return state_->fail(status, "put", column);
  return caf::unit;
}

caf::expected<void> rocksdb_store::do_erase(std::string_view column, std::string_view key,
                                            write_options options) {
  auto cf = state_->find(column);
  if (!cf)
    return std::move(cf.error());
  auto status = state_->with_recovery(
    [&] { return state_->db->Delete(to_rocksdb(options), *cf, slice(key)); });
  if (!status.ok())
    return state_->fail(status, "erase", column);
  return caf::unit;
}

caf::expected<void> rocksdb_store::do_write(const write_batch& batch, write_options options) {
  // A RocksDB WriteBatch is one WAL record, hence atomic across families, also
  // through a crash. Columns are resolved while building it, before anything is
  // written, so a batch naming an unknown column changes nothing.
  rocksdb::WriteBatch rocks_batch;
  for (const auto& op : batch.operations()) {
    auto cf = state_->find(op.column);
    if (!cf)
      return std::move(cf.error());
    auto status = op.what == write_batch::kind::put
                    ? rocks_batch.Put(*cf, op.key, op.value)
                    : rocks_batch.Delete(*cf, op.key);
    if (!status.ok())
      return state_->fail(status, "build batch", op.column);
  }
  auto status = state_->with_recovery(
    [&] { return state_->db->Write(to_rocksdb(options), &rocks_batch); });
  if (!status.ok())
    return from_rocksdb(status, "write batch of " + std::to_string(batch.size()) + " operations",
                        state_->dir);
  return caf::unit;
}

caf::expected<void> rocksdb_store::do_scan(std::string_view column, scan_range range,
                                           std::string_view bound, const scan_callback& f) {
  auto cf = state_->find(column);
  if (!cf)
    return std::move(cf.error());
  // An iterator reads an implicit snapshot taken at its creation. Scans are
  // bulk reads (a whole baseline per diff): their blocks are not put in the
  // block cache, where they would only push out the index and filter blocks
  // that point reads need, and stay in the agent's RSS.
  rocksdb::ReadOptions read;
  read.fill_cache = false;
  std::unique_ptr<rocksdb::Iterator> it{state_->db->NewIterator(read, *cf)};
  for (it->Seek(slice(bound)); it->Valid(); it->Next()) {
    auto key = view(it->key());
    if (range == scan_range::with_prefix && !key.starts_with(bound))
      break;
    if (!f(key, view(it->value())))
      break;
  }
  if (!it->status().ok())
    return state_->fail(it->status(), "scan", column);
  return caf::unit;
}

caf::expected<void> rocksdb_store::do_release_memory() {
  // The memtables hold every write since the last flush (a full baseline, the
  // tombstones of acknowledged deltas) for as long as they are not full, which
  // for an idle agent is for ever: written to L0 files, their arenas are freed.
  // Families with empty memtables are skipped by RocksDB.
  rocksdb::FlushOptions options;
  options.wait = true;
  options.allow_write_stall = true;
  auto status = state_->with_recovery([&] { return state_->db->Flush(options, state_->handles); });
  if (!status.ok())
    return from_rocksdb(status, "flush memtables", state_->dir);
  return caf::unit;
}

} // namespace vigil
