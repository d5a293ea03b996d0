#include "storage/rocksdb_store.hpp"

#include <doctest/doctest.h>

#include <filesystem>

#include "common/error.hpp"
#include "tests/storage/backends.hpp"
#include "tests/support/temp_dir.hpp"

using namespace vigil;
using vigil::test::rocksdb_backend;
using vigil::test::temp_dir;

namespace {

std::optional<std::string> value_of(kv_store& store, std::string_view column,
                                    std::string_view key) {
  auto res = store.get(column, key);
  REQUIRE_MESSAGE(res, render(res.error()));
  return *res;
}

std::vector<std::string> with(std::vector<std::string> columns, const std::string& extra) {
  columns.push_back(extra);
  return columns;
}

} // namespace

TEST_CASE("rocksdb_store: data persists after reopening") {
  temp_dir tmp;
  auto dir = tmp / "state" / "store"; // parents are created
  {
    auto store = rocksdb_backend::open(dir, agent_columns());
    REQUIRE(store->put("config", "synced", "1", {.sync = true}));
    REQUIRE(store->put("config", "unsynced", "2"));
    REQUIRE(store->put("config", "erased", "3"));
    REQUIRE(store->erase("config", "erased"));
    write_batch batch;
    batch.put("baseline", "row", "b");
    batch.put("pending", "delta/1", "d");
    REQUIRE(store->write(batch, {.sync = true}));
  }
  auto store = rocksdb_backend::open(dir, agent_columns());
  CHECK(value_of(*store, "config", "synced") == "1");
  CHECK(value_of(*store, "config", "unsynced") == "2");
  CHECK_FALSE(value_of(*store, "config", "erased").has_value());
  CHECK(value_of(*store, "baseline", "row") == "b");
  CHECK(value_of(*store, "pending", "delta/1") == "d");
}

TEST_CASE("rocksdb_store: families already on disk are kept but not served") {
  temp_dir tmp;
  auto dir = tmp / "store";
  {
    auto store = rocksdb_backend::open(dir, with(agent_columns(), "platform_hosts"));
    REQUIRE(store->put("platform_hosts", "h1", "x"));
    REQUIRE(store->put("meta", "m", "y"));
  }
  {
    // Opening with fewer columns than the directory holds works...
    auto store = rocksdb_backend::open(dir, agent_columns());
    CHECK(value_of(*store, "meta", "m") == "y");
    REQUIRE(store->put("meta", "m2", "z"));
    // ...and the extra family is not one of this store's columns.
    auto res = store->get("platform_hosts", "h1");
    REQUIRE_FALSE(res);
    CHECK(code_of(res.error()) == ec::invalid_argument);
  }
  // The extra family's data was left alone.
  auto store = rocksdb_backend::open(dir, with(agent_columns(), "platform_hosts"));
  CHECK(value_of(*store, "platform_hosts", "h1") == "x");
  CHECK(value_of(*store, "meta", "m2") == "z");
}

TEST_CASE("rocksdb_store: a column added on a later open is created") {
  temp_dir tmp;
  auto dir = tmp / "store";
  {
    auto store = rocksdb_backend::open(dir, {"meta"});
    REQUIRE(store->put("meta", "k", "v"));
  }
  auto store = rocksdb_backend::open(dir, {"meta", "added"});
  REQUIRE(store->put("added", "k", "w"));
  CHECK(value_of(*store, "meta", "k") == "v");
  CHECK(value_of(*store, "added", "k") == "w");
}

TEST_CASE("rocksdb_store: a directory already open is io_error naming it") {
  temp_dir tmp;
  auto dir = tmp / "store";
  auto first = rocksdb_backend::open(dir, agent_columns());
  auto second = rocksdb_store::open(dir, agent_columns());
  REQUIRE_FALSE(second);
  CHECK(code_of(second.error()) == ec::io_error);
  auto ctx = context_of(second.error());
  CHECK_MESSAGE(ctx.find("open in store " + dir.string()) != std::string::npos, ctx);
  CHECK_MESSAGE(ctx.find("LOCK") != std::string::npos, ctx);
}

TEST_CASE("rocksdb_store: a damaged database is corruption") {
  temp_dir tmp;
  auto dir = tmp / "store";
  {
    auto store = rocksdb_backend::open(dir, agent_columns());
    REQUIRE(store->put("meta", "k", "v", {.sync = true}));
  }
  // CURRENT names the MANIFEST; one without its final newline is rejected.
  vigil::test::write_file(dir / "CURRENT", "MANIFEST-000001");
  auto store = rocksdb_store::open(dir, agent_columns());
  REQUIRE_FALSE(store);
  CHECK_MESSAGE(code_of(store.error()) == ec::corruption, render(store.error()));
  CHECK(context_of(store.error()).find(dir.string()) != std::string::npos);
}

TEST_CASE("rocksdb_store: a directory that cannot be created is an error, not a crash") {
  temp_dir tmp;
  vigil::test::write_file(tmp / "file", "not a directory");
  auto store = rocksdb_store::open(tmp / "file" / "store", agent_columns());
  REQUIRE_FALSE(store);
  CHECK_MESSAGE(code_of(store.error()) == ec::io_error, render(store.error()));
  CHECK(context_of(store.error()).find((tmp / "file" / "store").string()) != std::string::npos);
}

TEST_CASE("rocksdb_store: release_memory writes the memtables to table files, content intact") {
  temp_dir tmp;
  auto dir = tmp / "store";
  auto table_files = [&] {
    size_t n = 0;
    for (const auto& entry : std::filesystem::directory_iterator{dir})
      n += entry.path().extension() == ".sst";
    return n;
  };
  {
    auto store = rocksdb_backend::open(dir, agent_columns());
    REQUIRE(store->put("baseline", "kept", "1", {.sync = true}));
    REQUIRE(store->put("baseline", "erased", "2"));
    REQUIRE(store->erase("baseline", "erased"));
    REQUIRE(store->put("cursor", "next_seq", "7"));
    CHECK(table_files() == 0); // small writes stay in the memtables
    auto released = store->release_memory();
    REQUIRE_MESSAGE(released, render(released.error()));
    CHECK(table_files() == 2); // one per family that had writes
    CHECK(value_of(*store, "baseline", "kept") == "1");
    CHECK_FALSE(value_of(*store, "baseline", "erased").has_value());
    REQUIRE(store->put("baseline", "after", "3"));
    REQUIRE(store->release_memory()); // again, and with nothing new: no error
    REQUIRE(store->release_memory());
  }
  auto store = rocksdb_backend::open(dir, agent_columns());
  CHECK(value_of(*store, "baseline", "kept") == "1");
  CHECK(value_of(*store, "baseline", "after") == "3");
  CHECK(value_of(*store, "cursor", "next_seq") == "7");
  CHECK_FALSE(value_of(*store, "baseline", "erased").has_value());
}
