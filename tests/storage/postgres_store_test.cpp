// The PostgreSQL store's own promises, on a real server (tests/support/
// postgres_server): what the shared kv_store cases cannot show.
#include "storage/postgres_store.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "common/error.hpp"
#include "storage/kv_store.hpp"
#include "tests/support/postgres_server.hpp"
#include "tests/support/process.hpp"

using namespace vigil;
using vigil::test::postgres_server;

namespace {

const std::vector<std::string> columns{"hosts", "rows"};

std::unique_ptr<kv_store> open_store(const postgres_server& server) {
  auto store = open_postgres_store(server.url(), columns);
  REQUIRE_MESSAGE(store, render(store.error()));
  return std::move(*store);
}

std::string key_of(int i) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "k%05d", i);
  return buf;
}

} // namespace

TEST_CASE("postgres store: a scan longer than one page visits every key once, in order, "
          "from one snapshot") {
  postgres_server server;
  auto store = open_store(server);
  write_batch batch;
  for (int i = 0; i < 1300; ++i)
    batch.put("rows", key_of(i), std::to_string(i));
  REQUIRE(store->write(batch));
  std::vector<std::string> seen;
  auto res = store->scan("rows", "k", [&](std::string_view k, std::string_view v) {
    seen.emplace_back(k);
    CHECK(v == std::to_string(seen.size() - 1));
    // Writes after the first page is read: later pages must not see them.
    if (seen.size() == 10) {
      REQUIRE(store->put("rows", key_of(1299) + "x", "late"));
      REQUIRE(store->erase("rows", key_of(1000)));
    }
    return true;
  });
  REQUIRE_MESSAGE(res, render(res.error()));
  REQUIRE(seen.size() == 1300);
  for (int i = 0; i < 1300; ++i)
    REQUIRE(seen[static_cast<size_t>(i)] == key_of(i));
  // A scan begun now sees both writes.
  size_t now = 0;
  REQUIRE(store->scan("rows", "k", [&](std::string_view, std::string_view) { return ++now, true; }));
  CHECK(now == 1300);
  CHECK(store->get("rows", key_of(1000))->has_value() == false);
}

TEST_CASE("postgres store: two instances on one database see each other's writes, "
          "and a batch all at once or not at all") {
  postgres_server server;
  auto a = open_store(server);
  auto b = open_store(server); // the second instance finds the schema there
  REQUIRE(a->put("hosts", "h1", "one", write_options{.sync = true}));
  CHECK(b->get("hosts", "h1")->value_or("") == "one");
  write_batch ok;
  ok.put("hosts", "h2", "two");
  ok.erase("hosts", "h1");
  REQUIRE(b->write(ok));
  CHECK_FALSE(a->get("hosts", "h1")->has_value());
  CHECK(a->get("hosts", "h2")->value_or("") == "two");
  // A batch that fails half-way (a column the other instance does not know
  // is refused before anything is sent; a failing statement rolls back).
  write_batch bad;
  bad.put("hosts", "h3", "three");
  bad.put("nope", "x", "y");
  CHECK_FALSE(a->write(bad));
  CHECK_FALSE(b->get("hosts", "h3")->has_value());
  CHECK(server.psql("SELECT max(version) FROM vigil_schema") == "1\n");
  CHECK(server.psql("SELECT count(*) FROM vigil_schema") == "1\n");
}

TEST_CASE("postgres store: the server crashes and comes back: calls fail with a named "
          "error meanwhile, then reconnect, and synced writes are all there") {
  postgres_server server;
  auto store = open_store(server);
  for (int i = 0; i < 20; ++i)
    REQUIRE(store->put("hosts", key_of(i), "v", write_options{.sync = true}));
  server.kill();
  auto down = store->get("hosts", key_of(0));
  REQUIRE_FALSE(down);
  CHECK(code_of(down.error()) == ec::storage_error);
  CHECK_MESSAGE(render(down.error()).find("PostgreSQL") != std::string::npos, render(down.error()));
  server.start();
  // The pool's connections died with the server: the store reconnects.
  auto back = store->get("hosts", key_of(19));
  REQUIRE_MESSAGE(back, render(back.error()));
  CHECK(back->value_or("") == "v");
  size_t n = 0;
  REQUIRE(store->scan("hosts", "", [&](std::string_view, std::string_view) { return ++n, true; }));
  CHECK(n == 20);
}

TEST_CASE("postgres store: a database of a newer schema is refused, naming both versions") {
  postgres_server server;
  open_store(server);
  server.psql("INSERT INTO vigil_schema (version) VALUES (7)");
  auto store = open_postgres_store(server.url(), columns);
  REQUIRE_FALSE(store);
  CHECK(code_of(store.error()) == ec::invalid_argument);
  auto text = render(store.error());
  CHECK_MESSAGE(text.find("schema version 7") != std::string::npos, text);
  CHECK_MESSAGE(text.find("newer than this build's 1") != std::string::npos, text);
}

TEST_CASE("postgres store: a server that refuses the password: a storage error that "
          "names the cause and never the password") {
  postgres_server server;
  server.psql("ALTER USER vigil PASSWORD 'right-one'");
  // Trust for the socket, so the password is checked on TCP... there is no
  // TCP listener: a wrong database name is the refusal here instead.
  auto store = open_postgres_store(
    "postgresql://vigil:s3cret-pass@/nosuchdb?host=" + server.url().substr(
      server.url().find("host=") + 5, server.url().find("&") - server.url().find("host=") - 5),
    columns);
  REQUIRE_FALSE(store);
  CHECK(code_of(store.error()) == ec::storage_error);
  auto text = render(store.error());
  CHECK_MESSAGE(text.find("nosuchdb") != std::string::npos, text);
  CHECK_MESSAGE(text.find("s3cret-pass") == std::string::npos, text);
  auto not_pg = open_postgres_store("mysql://x", columns);
  REQUIRE_FALSE(not_pg);
  CHECK(code_of(not_pg.error()) == ec::invalid_argument);
}

TEST_CASE("postgres lock space: an exclusive lock waits for every holder, across "
          "lock spaces; shared holders share") {
  postgres_server server;
  auto a = open_postgres_lock_space(server.url());
  auto b = open_postgres_lock_space(server.url());
  REQUIRE_MESSAGE(a, render(a.error()));
  REQUIRE_MESSAGE(b, render(b.error()));
  auto shared_a = (*a)->hold(42, lock_mode::shared);
  auto shared_b = (*b)->hold(42, lock_mode::shared);
  REQUIRE(shared_a);
  REQUIRE(shared_b); // both at once
  std::atomic<bool> taken{false};
  std::thread writer{[&] {
    auto held = (*b)->hold(42, lock_mode::exclusive);
    CHECK(held);
    taken = true;
  }};
  // Still held shared twice: the exclusive one waits (checked over a while,
  // as waiting is what is asserted), then gets it once both are released.
  CHECK_FALSE(test::wait_until([&] { return taken.load(); }, std::chrono::milliseconds{300}));
  shared_a->reset();
  CHECK_FALSE(test::wait_until([&] { return taken.load(); }, std::chrono::milliseconds{200}));
  shared_b->reset();
  CHECK(test::wait_until([&] { return taken.load(); }, std::chrono::seconds{10}));
  writer.join();
  // Another key is independent of 42.
  auto other = (*a)->hold(43, lock_mode::exclusive);
  CHECK(other);
}
