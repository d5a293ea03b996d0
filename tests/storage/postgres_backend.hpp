#pragma once
// The platform's PostgreSQL backend for the shared kv_store cases: POSIX test
// support (it starts a real server), so not part of the Windows build.

#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "storage/kv_store.hpp"
#include "storage/postgres_store.hpp"
#include "tests/support/postgres_server.hpp"

namespace vigil::test {

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

} // namespace vigil::test
