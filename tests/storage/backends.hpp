#pragma once
// The kv_store backends, as types for doctest's TEST_CASE_TEMPLATE, so one
// suite runs against all of them.

#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "storage/kv_store.hpp"
#include "storage/memory_store.hpp"
#include "storage/postgres_store.hpp"
#include "storage/rocksdb_store.hpp"
#include "tests/support/postgres_server.hpp"
#include "tests/support/temp_dir.hpp"

namespace vigil::test {

struct memory_backend {
  static std::unique_ptr<kv_store> open(const std::filesystem::path&,
                                        const std::vector<std::string>& columns) {
    return std::make_unique<memory_store>(columns);
  }
};

struct rocksdb_backend {
  static std::unique_ptr<kv_store> open(const std::filesystem::path& dir,
                                        const std::vector<std::string>& columns) {
    auto store = rocksdb_store::open(dir, columns);
    if (!store)
      throw std::runtime_error("opening the test store failed: " + render(store.error()));
    return std::move(*store);
  }
};

/// The platform's PostgreSQL store: one real server per test process (started
/// on first use, killed at exit), a new database for every store.
struct postgres_backend {
  static std::unique_ptr<kv_store> open(const std::filesystem::path&,
                                        const std::vector<std::string>& columns) {
    static postgres_server server;
    static int databases = 0;
    auto name = "store" + std::to_string(++databases);
    server.psql("CREATE DATABASE " + name);
    auto store = open_postgres_store(server.url(name), columns);
    if (!store)
      throw std::runtime_error("opening the test store failed: " + render(store.error()));
    return std::move(*store);
  }
};

/// A fresh store of `Backend` in a fresh directory, serving the agent's columns.
template <class Backend>
struct store_fixture {
  temp_dir dir;
  std::unique_ptr<kv_store> store = Backend::open(dir / "store", agent_columns());
};

} // namespace vigil::test
