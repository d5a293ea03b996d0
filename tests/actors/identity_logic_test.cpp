// The agent's identity on the store: the token sealed at rest (issue 15,
// defect 2).

#include "actors/identity_logic.hpp"

#include <doctest/doctest.h>

#include "common/error.hpp"
#include "host/hive_file.hpp"
#include "storage/memory_store.hpp"
#include "tests/support/temp_dir.hpp"

using namespace vigil;

namespace {

struct identity_fixture {
  test::temp_dir dir;
  paths root{dir.path()};
  std::shared_ptr<kv_store> store = std::make_shared<memory_store>(agent_columns());
  hive_file hive{root.hive_file()};

  identity_fixture() {
    test::write_file(dir / "etc/machine-id", "0123456789abcdef0123456789abcdef\n");
  }

  secret_box box() {
    auto b = secret_box::open(root);
    REQUIRE(b);
    return *b;
  }

  std::string stored_token() {
    auto v = store->get("meta", identity_keys::token);
    REQUIRE(v);
    return v->value_or("");
  }
};

} // namespace

TEST_CASE("identity: the agent token is stored sealed, never in clear, and read back") {
  identity_fixture f;
  auto b = f.box();
  auto id = establish_identity(f.hive, *f.store, "fp", &b);
  REQUIRE(id);
  id->agent_token = "tok-0123456789-secret";
  REQUIRE(store_token(*f.store, *id, &b));
  CHECK(f.stored_token().find("tok-0123456789-secret") == std::string::npos);
  CHECK(f.stored_token().starts_with("v1:"));
  auto again = establish_identity(f.hive, *f.store, "fp", &b);
  REQUIRE(again);
  CHECK(again->agent_token == "tok-0123456789-secret");
  CHECK(again->host_id == id->host_id);
}

TEST_CASE("identity: a token an older version stored in clear is sealed at the next start") {
  identity_fixture f;
  auto id = establish_identity(f.hive, *f.store, "fp");
  REQUIRE(id);
  id->agent_token = "old-clear-token";
  REQUIRE(store_token(*f.store, *id)); // as the previous version did
  CHECK(f.stored_token() == "old-clear-token");
  auto b = f.box();
  auto upgraded = establish_identity(f.hive, *f.store, "fp", &b);
  REQUIRE(upgraded);
  CHECK(upgraded->agent_token == "old-clear-token");
  CHECK(f.stored_token().starts_with("v1:"));
}

TEST_CASE("identity: a sealed token that does not open (another machine) is forgotten") {
  identity_fixture f;
  auto b = f.box();
  auto id = establish_identity(f.hive, *f.store, "fp", &b);
  REQUIRE(id);
  id->agent_token = "tok";
  REQUIRE(store_token(*f.store, *id, &b));
  // The disk copied to a machine with another machine-id (same fingerprint
  // text here, so only the seal tells).
  test::write_file(f.dir / "etc/machine-id", "ffffffffffffffffffffffffffffffff\n");
  auto other = f.box();
  auto copied = establish_identity(f.hive, *f.store, "fp", &other);
  REQUIRE(copied);
  CHECK(copied->agent_token.empty());
  CHECK(f.stored_token().empty());
}
