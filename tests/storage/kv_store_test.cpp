#include "storage/kv_store.hpp"

#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <doctest/doctest.h>

#include "common/error.hpp"
#include "tests/storage/backends.hpp"

using namespace vigil;
using vigil::test::memory_backend;
using vigil::test::rocksdb_backend;
using vigil::test::store_fixture;

// The backends every case below runs on: all three, or the list the build
// gives (cmake/windows.cmake: memory and RocksDB, no PostgreSQL server there).
#ifndef VIGIL_BACKENDS
#include "tests/storage/postgres_backend.hpp"
using vigil::test::postgres_backend;
#define VIGIL_BACKENDS memory_backend, rocksdb_backend, postgres_backend
#endif

namespace {

using entries = std::vector<std::pair<std::string, std::string>>;

/// Every entry `scan` visits, stopping after `limit` entries.
entries scan_all(kv_store& store, std::string_view column, std::string_view prefix,
                 size_t limit = SIZE_MAX) {
  entries out;
  auto res = store.scan(column, prefix, [&](std::string_view k, std::string_view v) {
    out.emplace_back(k, v);
    return out.size() < limit;
  });
  REQUIRE_MESSAGE(res, render(res.error()));
  return out;
}

entries scan_all_from(kv_store& store, std::string_view column, std::string_view start,
                      size_t limit = SIZE_MAX) {
  entries out;
  auto res = store.scan_from(column, start, [&](std::string_view k, std::string_view v) {
    out.emplace_back(k, v);
    return out.size() < limit;
  });
  REQUIRE_MESSAGE(res, render(res.error()));
  return out;
}

std::optional<std::string> value_of(kv_store& store, std::string_view column,
                                    std::string_view key) {
  auto res = store.get(column, key);
  REQUIRE_MESSAGE(res, render(res.error()));
  return *res;
}

void require_ok(const caf::expected<void>& res) {
  REQUIRE_MESSAGE(res, render(res.error()));
}

} // namespace

TEST_CASE_TEMPLATE("kv_store: put, get, overwrite and erase", T, VIGIL_BACKENDS) {
  store_fixture<T> f;
  auto& s = *f.store;
  require_ok(s.put("config", "k", "v1"));
  CHECK(value_of(s, "config", "k") == "v1");
  require_ok(s.put("config", "k", "v2", {.sync = true}));
  CHECK(value_of(s, "config", "k") == "v2");
  require_ok(s.erase("config", "k"));
  CHECK_FALSE(value_of(s, "config", "k").has_value());
  // Erasing what is not there is not an error.
  require_ok(s.erase("config", "k", {.sync = true}));
}

TEST_CASE_TEMPLATE("kv_store: a missing key is an empty optional, per column", T,
                   VIGIL_BACKENDS) {
  store_fixture<T> f;
  auto& s = *f.store;
  CHECK_FALSE(value_of(s, "meta", "nothing").has_value());
  require_ok(s.put("meta", "shared", "in meta"));
  // Columns are separate key spaces.
  CHECK_FALSE(value_of(s, "config", "shared").has_value());
  CHECK(value_of(s, "meta", "shared") == "in meta");
}

TEST_CASE_TEMPLATE("kv_store: empty and binary keys and values round-trip", T,
                   VIGIL_BACKENDS) {
  store_fixture<T> f;
  auto& s = *f.store;
  const std::string key{"a\0b\xff", 4};
  const std::string value{"\0\x01\x02\xfe", 4};
  require_ok(s.put("baseline", key, value));
  require_ok(s.put("baseline", "empty", ""));
  CHECK(value_of(s, "baseline", key) == value);
  CHECK_FALSE(value_of(s, "baseline", std::string_view{"a"}).has_value());
  // An empty value is present, not absent.
  CHECK(value_of(s, "baseline", "empty") == std::string{});
}

TEST_CASE_TEMPLATE("kv_store: an unknown column is invalid_argument naming it", T,
                   VIGIL_BACKENDS) {
  store_fixture<T> f;
  auto& s = *f.store;
  auto noop = [](std::string_view, std::string_view) { return true; };
  std::vector<caf::error> errors;
  errors.push_back(s.get("nope", "k").error());
  errors.push_back(s.put("nope", "k", "v").error());
  errors.push_back(s.erase("nope", "k").error());
  errors.push_back(s.scan("nope", "", noop).error());
  errors.push_back(s.scan_from("nope", "", noop).error());
  for (const auto& err : errors) {
    CHECK(code_of(err) == ec::invalid_argument);
    CHECK_MESSAGE(context_of(err).find("'nope'") != std::string::npos, render(err));
  }
}

TEST_CASE_TEMPLATE("kv_store: a batch applies puts and erases over several columns", T,
                   VIGIL_BACKENDS) {
  store_fixture<T> f;
  auto& s = *f.store;
  require_ok(s.put("baseline", "row/1", "old"));
  require_ok(s.put("cursor", "upload", "3"));
  write_batch batch;
  batch.put("baseline", "row/1", "new");
  batch.put("baseline", "row/2", "added");
  batch.put("pending", "delta/7", "payload");
  batch.erase("cursor", "upload");
  batch.put("meta", "seq", "7");
  // Operations apply in order: the later one on a key wins.
  batch.put("config", "temp", "x");
  batch.erase("config", "temp");
  batch.erase("meta", "gone");
  batch.put("meta", "gone", "back");
  require_ok(s.write(batch, {.sync = true}));
  CHECK(value_of(s, "baseline", "row/1") == "new");
  CHECK(value_of(s, "baseline", "row/2") == "added");
  CHECK(value_of(s, "pending", "delta/7") == "payload");
  CHECK_FALSE(value_of(s, "cursor", "upload").has_value());
  CHECK(value_of(s, "meta", "seq") == "7");
  CHECK_FALSE(value_of(s, "config", "temp").has_value());
  CHECK(value_of(s, "meta", "gone") == "back");
}

TEST_CASE_TEMPLATE("kv_store: a batch naming an unknown column applies nothing", T,
                   VIGIL_BACKENDS) {
  store_fixture<T> f;
  auto& s = *f.store;
  require_ok(s.put("cursor", "keep", "1"));
  write_batch batch;
  batch.put("pending", "delta/1", "x");
  batch.erase("cursor", "keep");
  batch.put("bogus", "k", "v");
  auto res = s.write(batch);
  REQUIRE_FALSE(res);
  CHECK(code_of(res.error()) == ec::invalid_argument);
  CHECK(context_of(res.error()).find("'bogus'") != std::string::npos);
  CHECK_FALSE(value_of(s, "pending", "delta/1").has_value());
  CHECK(value_of(s, "cursor", "keep") == "1");
}

TEST_CASE_TEMPLATE("kv_store: an empty batch succeeds", T, VIGIL_BACKENDS) {
  store_fixture<T> f;
  require_ok(f.store->write(write_batch{}, {.sync = true}));
}

TEST_CASE_TEMPLATE("kv_store: prefix scan visits matching keys in byte order", T,
                   VIGIL_BACKENDS) {
  store_fixture<T> f;
  auto& s = *f.store;
  // Inserted out of order; includes keys either side of the prefix and bytes
  // above 0x7f, which sort after ASCII (unsigned byte order).
  for (auto key : {"a/3", "b/1", "a/\xff", "a/1", "a0", "a", "a/2", "a/\x01"})
    require_ok(s.put("pending", key, std::string{"v:"} + key));
  entries expected{{"a/\x01", "v:a/\x01"}, {"a/1", "v:a/1"},       {"a/2", "v:a/2"},
                   {"a/3", "v:a/3"},       {"a/\xff", "v:a/\xff"}};
  CHECK(scan_all(s, "pending", "a/") == expected);
  CHECK(scan_all(s, "pending", "a/", 2) == entries{expected.begin(), expected.begin() + 2});
  CHECK(scan_all(s, "pending", "zz").empty());
  CHECK(scan_all(s, "meta", "a/").empty());
  auto all = scan_all(s, "pending", "");
  REQUIRE(all.size() == 8);
  CHECK(all.front().first == "a");
  CHECK(all.back().first == "b/1");
}

TEST_CASE_TEMPLATE("kv_store: scan_from starts at a key and runs to the column's end", T,
                   VIGIL_BACKENDS) {
  store_fixture<T> f;
  auto& s = *f.store;
  for (auto key : {"k1", "k3", "k5", "k7"})
    require_ok(s.put("cursor", key, key));
  require_ok(s.put("meta", "k9", "other column"));
  auto keys = [](const entries& es) {
    std::vector<std::string> out;
    for (auto& e : es)
      out.push_back(e.first);
    return out;
  };
  using strings = std::vector<std::string>;
  CHECK(keys(scan_all_from(s, "cursor", "k3")) == strings{"k3", "k5", "k7"});
  CHECK(keys(scan_all_from(s, "cursor", "k4")) == strings{"k5", "k7"});
  CHECK(keys(scan_all_from(s, "cursor", "")) == strings{"k1", "k3", "k5", "k7"});
  CHECK(keys(scan_all_from(s, "cursor", "k3", 1)) == strings{"k3"});
  CHECK(scan_all_from(s, "cursor", "k8").empty());
}

TEST_CASE_TEMPLATE("kv_store: a scan sees a snapshot and may write to the store", T,
                   VIGIL_BACKENDS) {
  store_fixture<T> f;
  auto& s = *f.store;
  require_ok(s.put("pending", "p/1", "1"));
  require_ok(s.put("pending", "p/2", "2"));
  std::vector<std::string> seen;
  auto res = s.scan("pending", "p/", [&](std::string_view k, std::string_view) {
    seen.emplace_back(k);
    // Writes from inside the callback: no deadlock, and not seen by this scan.
    REQUIRE(s.put("pending", "p/3", "3"));
    REQUIRE(s.erase("pending", "p/2"));
    return true;
  });
  REQUIRE(res);
  CHECK(seen == std::vector<std::string>{"p/1", "p/2"});
  CHECK(scan_all(s, "pending", "p/") == entries{{"p/1", "1"}, {"p/3", "3"}});
}

TEST_CASE_TEMPLATE("kv_store: concurrent writers on several threads all land", T,
                   VIGIL_BACKENDS) {
  store_fixture<T> f;
  auto& s = *f.store;
  constexpr int threads = 4;
  constexpr int per_thread = 500;
  std::vector<std::thread> workers;
  std::vector<int> failures(threads, 0);
  for (int t = 0; t < threads; ++t)
    workers.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) {
        write_batch b;
        b.put("baseline", "t" + std::to_string(t) + "/" + std::to_string(i), "x");
        b.put("meta", "last/" + std::to_string(t), std::to_string(i));
        if (!s.write(b) || !s.get("baseline", "t0/0"))
          ++failures[t];
      }
    });
  for (auto& w : workers)
    w.join();
  CHECK(failures == std::vector<int>(threads, 0));
  CHECK(scan_all(s, "baseline", "t").size() == threads * per_thread);
  for (int t = 0; t < threads; ++t)
    CHECK(value_of(s, "meta", "last/" + std::to_string(t)) == std::to_string(per_thread - 1));
}
