#pragma once
// The kv_store backends, as types for doctest's TEST_CASE_TEMPLATE, so one
// suite runs against all of them. The agent's two are here; the platform's
// PostgreSQL one (a real server, POSIX test support) is postgres_backend.hpp.

#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "storage/kv_store.hpp"
#include "storage/memory_store.hpp"
#include "storage/rocksdb_store.hpp"
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

/// A fresh store of `Backend` in a fresh directory, serving the agent's columns.
template <class Backend>
struct store_fixture {
  temp_dir dir;
  std::unique_ptr<kv_store> store = Backend::open(dir / "store", agent_columns());
};

} // namespace vigil::test
